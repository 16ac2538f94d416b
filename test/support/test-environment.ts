import { TestEnvironment } from 'jest-environment-node';
import { childProcesses } from './processes';

/**
 * Node's test environment, plus one rule: a test file that leaves a child process running (a worker, an API
 * server, a parser, a Redis it started) fails, naming it — after a grace period for processes that were told to
 * stop and are on their way out. The leftovers are then killed so that they do not outlive the run.
 */
export default class NoLeftoverProcessesEnvironment extends TestEnvironment {
  override async teardown(): Promise<void> {
    await super.teardown();
    const deadline = Date.now() + 10_000;
    let left = childProcesses(process.pid);
    // These are descendants of any depth (a worker's parsers, a CLI's children), not this process's children: no
    // exit event reaches us for them, so the process table is read again until they are gone or the grace ends.
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = childProcesses(process.pid);
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
