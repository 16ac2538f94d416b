/**
 * Groups token sequences from many concurrent callers into batches for the model: sorted by length so rows of
 * a batch have similar lengths (little padding), each batch within a token budget (rows x longest row), sent
 * when enough is waiting to fill a batch or when the oldest item has waited `maxWaitMs`.
 */

export interface BatcherOptions {
  /** Most tokens one batch may compute, padding included: rows x longest row. */
  batchTokens: number;
  /** Longest an item waits for company before a partial batch goes. */
  maxWaitMs: number;
}

export interface PaddingStats {
  /** Tokens the model computed (padding included). */
  computed: number;
  /** Tokens that carried text. */
  real: number;
}

interface Item<R> {
  ids: number[];
  resolve: (result: R) => void;
  reject: (error: Error) => void;
}

export class Batcher<R> {
  private waiting: Item<R>[] = [];
  private waitingTokens = 0;
  private timer: NodeJS.Timeout | undefined;
  readonly stats: PaddingStats = { computed: 0, real: 0 };

  constructor(
    private readonly options: BatcherOptions,
    private readonly runBatch: (rows: number[][]) => Promise<R[]>,
  ) {}

  /** Padding overhead so far: computed / real tokens (1 means none). */
  get paddingRatio(): number {
    return this.stats.real === 0 ? 1 : this.stats.computed / this.stats.real;
  }

  add(ids: number[]): Promise<R> {
    if (ids.length > this.options.batchTokens) {
      return Promise.reject(new Error(`a sequence of ${ids.length} tokens exceeds the batch budget`));
    }
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ ids, resolve, reject });
      this.waitingTokens += ids.length;
      // Enough waiting to fill a batch (with some slack for padding): go now; else after the deadline.
      if (this.waitingTokens >= this.options.batchTokens) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
    });
  }

  /** Sends everything waiting, in as few length-sorted batches as the budget allows. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.waiting.sort((a, b) => b.ids.length - a.ids.length);
    this.waiting = [];
    this.waitingTokens = 0;
    let batch: Item<R>[] = [];
    for (const item of items) {
      // Sorted longest first: the batch's first row sets its padded length.
      const longest = batch[0]?.ids.length ?? item.ids.length;
      if (batch.length > 0 && longest * (batch.length + 1) > this.options.batchTokens) {
        this.send(batch);
        batch = [];
      }
      batch.push(item);
    }
    if (batch.length > 0) this.send(batch);
  }

  private send(batch: Item<R>[]): void {
    const rows = batch.map((i) => i.ids);
    this.stats.computed += rows[0]!.length * rows.length;
    this.stats.real += rows.reduce((sum, r) => sum + r.length, 0);
    this.runBatch(rows).then(
      (results) => batch.forEach((item, i) => item.resolve(results[i]!)),
      (error: Error) => batch.forEach((item) => item.reject(error)),
    );
  }
}
