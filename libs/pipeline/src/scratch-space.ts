import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtractionAbortedError } from '@shortlist/extract';

/**
 * Where extractions write a document's bytes: a folder per process under the temporary folder (TMPDIR), so that
 * what a killed process left behind — a resume's bytes — can be told from what a running one holds. Process ids
 * are those this process sees: processes that share a TMPDIR must share a process namespace (a container's own
 * /tmp, as the Kubernetes manifests give each worker pod, does).
 */
export const scratchRoot = () => join(tmpdir(), 'shortlist-extract');

let swept: Promise<unknown> | undefined;

/**
 * A fresh folder for one document's extraction. The first one a process makes removes, once, the folders of
 * processes that no longer run (a worker or `shortlist screen` killed mid-extraction).
 */
export async function scratchFolder(): Promise<string> {
  swept ??= removeAbandonedScratch().catch(() => undefined);
  await swept;
  const own = join(scratchRoot(), String(process.pid));
  await mkdir(own, { recursive: true });
  return mkdtemp(join(own, 'document-'));
}

/** Removes the scratch folders of processes that no longer run; returns the process ids whose folders it removed. */
export async function removeAbandonedScratch(root = scratchRoot()): Promise<number[]> {
  const names = await readdir(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const removed: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (!/^\d+$/.test(name) || pid === process.pid || running(pid)) continue;
    await rm(join(root, name), { recursive: true, force: true });
    removed.push(pid);
  }
  return removed;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/**
 * The scratch space of this process, shared by its extractions. A disk filled by other documents is not this
 * document's problem: it writes again once one of them frees space. Only a document that finds the disk full with
 * no other document holding space, and nothing freed while it wrote, fails as scratch_space_full.
 */
export class ScratchSpace {
  private holders = 0;
  /** Counts every time space was freed (a document finished, or gave up a partial file). */
  private releases = 0;
  private waiting: (() => void)[] = [];

  /** Before a write; the mark tells `afterFull` whether anything was freed since. */
  hold(): number {
    this.holders += 1;
    return this.releases;
  }

  release(): void {
    this.holders -= 1;
    this.releases += 1;
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }

  /**
   * After a write hit a full disk and its partial file was removed (the caller held space; it no longer does):
   * true to write again (space was freed meanwhile, or is once another document frees it), false when this
   * document alone does not fit.
   */
  async afterFull(mark: number, signal: AbortSignal | undefined): Promise<boolean> {
    const freedMeanwhile = this.releases !== mark;
    this.release();
    if (freedMeanwhile) return true;
    if (this.holders === 0) return false;
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new ExtractionAbortedError());
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
    return true;
  }
}
