import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/**
 * Headless Chromium from the Debian package, driven by playwright-core: no browser is ever downloaded from
 * anywhere but the Debian archive. `infra/local/browser.sh` finds it, or installs it (as root, like the services
 * the suite brings up); without root it fails the test with the command that installs it.
 */
export async function launchChromium(): Promise<Browser> {
  let executablePath: string;
  try {
    executablePath = execFileSync('bash', [join(__dirname, '..', '..', 'infra', 'local', 'browser.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (error) {
    throw new Error(String((error as { stderr?: string }).stderr ?? error).trim());
  }
  // --no-sandbox: tests may run as root (containers, CI), where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
}
