import { ExtractionAbortedError } from '@shortlist/extract';

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
