import { readFileSync, readdirSync } from 'node:fs';
import { TestEnvironment } from 'jest-environment-node';

/** Live (not yet reaped, not zombie) child processes of this process, from /proc. */
function liveChildren(): { pid: number; command: string }[] {
  const children: { pid: number; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so parse after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== process.pid || state === 'Z') continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      children.push({ pid: Number(entry), command });
    } catch {
      // The process ended while we looked: not left running.
    }
  }
  return children;
}

/**
 * Node's test environment, plus one rule: a test file that leaves a child process running (a worker, an API
 * server, a parser, a Redis it started) fails, naming it — after a grace period for processes that were told to
 * stop and are on their way out. The leftovers are then killed so that they do not outlive the run.
 */
export default class NoLeftoverProcessesEnvironment extends TestEnvironment {
  override async teardown(): Promise<void> {
    await super.teardown();
    const deadline = Date.now() + 10_000;
    let left = liveChildren();
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = liveChildren();
    }
    if (left.length === 0) return;
    for (const { pid } of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    throw new Error(
      `the test file left ${left.length} child process(es) running (killed now):\n` +
        left.map((c) => `  pid ${c.pid}: ${c.command.slice(0, 300)}`).join('\n'),
    );
  }
}
