import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const main = join(__dirname, '..', '..', 'apps', 'worker', 'dist', 'main.js');

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/**
 * The built worker (`npm test` builds it first) as a real child process, with the given environment on top;
 * `wrapper` is a command line that execs the rest (`unshare ... sh -c '...; exec "$@"'`).
 */
export function startWorker(env: Record<string, string>, wrapper: string[] = []): WorkerProcess {
  const [command, ...args] = [...wrapper, process.execPath, main];
  const child = spawn(command, args, {
    env: { ...process.env, LOG_LEVEL: 'warn', EMBED_THREADS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => output };
}
