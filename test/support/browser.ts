import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

/**
 * Headless Chromium from the Debian package (`apt-get install -y chromium`), driven by playwright-core: no
 * browser is ever downloaded. A missing browser fails the test with the command that installs it.
 */
export async function launchChromium(): Promise<Browser> {
  let executablePath: string | undefined;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      executablePath = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      break;
    } catch {
      // not this one
    }
  }
  if (!executablePath) {
    throw new Error(
      'no Chromium on this machine: install the Debian package (sudo apt-get install -y chromium)',
    );
  }
  // --no-sandbox: tests may run as root (containers, CI), where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
}
