import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtractionAbortedError } from '@shortlist/extract';
import { ScratchSpace, removeAbandonedScratch } from './scratch-space';

describe('removeAbandonedScratch', () => {
  it('removes the folders of processes that no longer run, keeping those of running ones', async () => {
    const root = mkdtempSync(join(tmpdir(), 'scratch-root-'));
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    const alive = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    try {
      for (const pid of [gone.pid!, alive.pid!, process.pid]) {
        mkdirSync(join(root, String(pid), 'document-x'), { recursive: true });
        writeFileSync(join(root, String(pid), 'document-x', 'document'), 'a resume');
      }
      mkdirSync(join(root, 'not-a-process'));
      expect(await removeAbandonedScratch(root)).toEqual([gone.pid]);
      expect(
        [gone.pid!, alive.pid!, process.pid].map((pid) => existsSync(join(root, String(pid), 'document-x'))),
      ).toEqual([false, true, true]);
      expect(existsSync(join(root, 'not-a-process'))).toBe(true);
    } finally {
      alive.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('finds nothing to remove where no process made a folder', async () => {
    expect(await removeAbandonedScratch(join(tmpdir(), 'no-such-scratch-root'))).toEqual([]);
  });
});

describe('ScratchSpace', () => {
  it('fails a document that finds the disk full alone, with nothing freed while it wrote', async () => {
    const space = new ScratchSpace();
    const mark = space.hold();
    expect(await space.afterFull(mark, undefined)).toBe(false);
  });

  it('writes again at once when another document freed space during the write', async () => {
    const space = new ScratchSpace();
    const mine = space.hold();
    space.hold();
    space.release(); // the other one finished
    expect(await space.afterFull(mine, undefined)).toBe(true);
  });

  it('waits for a document that still holds space, and writes again when it finishes', async () => {
    const space = new ScratchSpace();
    space.hold(); // the big one, still writing
    const mine = space.hold();
    let answer: boolean | undefined;
    const waiting = space.afterFull(mine, undefined).then((again) => (answer = again));
    await Promise.resolve();
    expect(answer).toBeUndefined();
    space.release();
    await waiting;
    expect(answer).toBe(true);
  });

  it('never leaves two full writers waiting for each other', async () => {
    const space = new ScratchSpace();
    const a = space.hold();
    const b = space.hold();
    const first = space.afterFull(a, undefined); // b still holds space: a waits
    // b's write failed too, after a gave its partial file up: b writes again, and a is woken by b's release.
    await expect(space.afterFull(b, undefined)).resolves.toBe(true);
    await expect(first).resolves.toBe(true);
  });

  it('stops waiting when the process shuts down', async () => {
    const space = new ScratchSpace();
    space.hold();
    const mine = space.hold();
    const stop = new AbortController();
    const waiting = space.afterFull(mine, stop.signal);
    stop.abort();
    await expect(waiting).rejects.toBeInstanceOf(ExtractionAbortedError);
  });
});
