import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const bin = join(__dirname, '..', '..', 'apps', 'cli', 'bin', 'shortlist.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `shortlist` command (`npm test` builds it first) as a real child process. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): CliResult {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** As runCli, without blocking this process — for tests that serve the command from here (a local hub). */
export function runCliAsync(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export interface CliProcess {
  child: ChildProcess;
  /** Resolves with the first match of `pattern` in stderr, as soon as it is printed. */
  stderrLine(pattern: RegExp): Promise<RegExpExecArray>;
  /** Resolves when the process has exited (streams closed), with everything it printed. */
  exited: Promise<CliResult>;
  /** Signals the process's whole group, as a terminal's Ctrl-C does (the process leads its own group). */
  interruptGroup(): void;
}

/**
 * The built `shortlist` command started in a process group of its own, so that a test can signal it the way a
 * terminal does (every process of the foreground group, the command's children included) and watch its stderr.
 */
export function startCli(args: string[], env: Record<string, string | undefined> = {}): CliProcess {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, detached: true });
  let stdout = '';
  let stderr = '';
  const watchers: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const watcher of [...watchers]) {
      const match = watcher.pattern.exec(stderr);
      if (match) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve(match);
      }
    }
  });
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  return {
    child,
    exited,
    stderrLine: (pattern) =>
      new Promise((resolve, reject) => {
        const match = pattern.exec(stderr);
        if (match) return resolve(match);
        watchers.push({ pattern, resolve });
        void exited.then(({ status }) =>
          reject(new Error(`shortlist exited (${status}) before printing ${pattern}; stderr:\n${stderr}`)),
        );
      }),
    interruptGroup: () => process.kill(-child.pid!, 'SIGINT'),
  };
}
