/**
 * Groups the passes (token sequences) of many concurrent documents into batches for the model, one batch at a
 * time, and decides at each step who goes next:
 *
 * - Memory: a batch's attention costs rows x padded length² (the [heads, length, length] score tensors), the
 *   rest rows x padded length. Attention stays within what one row of `maxRowTokens` costs (the single-pass
 *   limit, chosen so that one such pass fits the worker's memory) or what a full batch of SHORT_ROW-token rows
 *   costs, whichever is more; rows x length stays within `batchTokens`: one long pass goes alone, many short
 *   ones go together.
 * - Fairness: every document is a flow, every tenant a group of flows. The next batch is led by the tenant that
 *   has been served the fewest tokens, and within it the document served the fewest (start-time fair queueing:
 *   a newcomer starts at the current virtual time, not at zero, so a stream of small documents cannot starve a
 *   big one either). A big document therefore holds a small one back by one batch at most.
 * - Padding: rows join a batch in that order as long as its padding share stays under `maxPaddingShare`.
 * - Latency: a batch goes when the model is free and either enough is waiting to fill it or the oldest pass has
 *   waited `maxWaitMs`. Only one batch is with the model at a time, so the choice of the next is made as late
 *   as possible, with everything that arrived meanwhile.
 */

/**
 * Rows this long may always fill the linear budget, whatever the single-pass limit: their attention is small
 * beside the rest of the model (a full batch of them was the old 512-token default, ~0.6 GiB peak on CPU).
 */
export const SHORT_ROW = 512;

export interface BatcherOptions {
  /** Most tokens one batch may compute, padding included: rows x padded length. */
  batchTokens: number;
  /** Longest row accepted; a batch's rows x padded length² stays within this length² (or SHORT_ROW rows'). */
  maxRowTokens: number;
  /** Longest a pass waits for company before a partial batch goes (when the model is idle). */
  maxWaitMs: number;
  /** Padding share (0..1) a batch may reach when a row joins it. */
  maxPaddingShare?: number;
}

/** What each batch was, for metrics. */
export interface BatchReport {
  rows: number;
  paddedLength: number;
  /** Tokens that carried text (the rest of rows x paddedLength is padding). */
  realTokens: number;
  seconds: number;
}

export interface PaddingStats {
  /** Tokens the model computed (padding included). */
  computed: number;
  /** Tokens that carried text. */
  real: number;
}

interface Group {
  /** Tokens served so far, in this group's virtual time. */
  served: number;
  /** Served value of the last batch's lead: where a newcomer starts. */
  clock: number;
}

interface Tenant extends Group {
  key: string;
  flows: Set<Flow>;
}

interface Flow extends Group {
  tenant: Tenant;
  seq: number;
  items: Item[];
  done: number;
  results: unknown[];
  failed: boolean;
  resolve: (results: unknown[]) => void;
  reject: (error: Error) => void;
}

interface Item {
  flow: Flow;
  index: number;
  ids: number[];
}

export class Batcher<R> {
  private readonly tenants = new Map<string, Tenant>();
  /** Tenant-level virtual time: where a tenant that had nothing waiting starts again. */
  private tenantClock = 0;
  private nextSeq = 0;
  private waitingTokens = 0;
  private busy = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: ((report: BatchReport) => void)[] = [];
  readonly stats: PaddingStats = { computed: 0, real: 0 };

  constructor(
    private readonly options: BatcherOptions,
    private readonly runBatch: (rows: number[][]) => Promise<R[]>,
  ) {}

  /** Padding overhead so far: computed / real tokens (1 means none). */
  get paddingRatio(): number {
    return this.stats.real === 0 ? 1 : this.stats.computed / this.stats.real;
  }

  /** Calls `listener` after each batch the model finished. */
  onBatch(listener: (report: BatchReport) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Embeds one document's rows (its passes) and resolves with their results in order; `tenant` groups the
   * documents whose share of the model is balanced against other tenants'.
   */
  submit(rows: number[][], tenant = ''): Promise<R[]> {
    if (this.closed) return Promise.reject(new Error('the batcher is closed'));
    const longest = Math.max(...rows.map((r) => r.length));
    if (rows.length === 0 || longest > this.options.maxRowTokens) {
      return Promise.reject(
        new Error(
          `a pass of ${longest} tokens exceeds the single-pass limit of ${this.options.maxRowTokens}`,
        ),
      );
    }
    return new Promise<R[]>((resolve, reject) => {
      const group = this.tenantOf(tenant);
      const flow: Flow = {
        tenant: group,
        seq: this.nextSeq++,
        items: [],
        done: 0,
        results: new Array<unknown>(rows.length),
        failed: false,
        resolve: resolve as (results: unknown[]) => void,
        reject,
        // A newcomer starts at its tenant's current virtual time: no credit for having been away.
        served: group.clock,
        clock: 0,
      };
      flow.items = rows.map((ids, index) => ({ flow, index, ids }));
      group.flows.add(flow);
      this.waitingTokens += rows.reduce((sum, r) => sum + r.length, 0);
      this.schedule();
    });
  }

  private tenantOf(key: string): Tenant {
    let tenant = this.tenants.get(key);
    if (!tenant) {
      tenant = { key, served: this.tenantClock, clock: 0, flows: new Set() };
      this.tenants.set(key, tenant);
    }
    return tenant;
  }

  /** Sends the next batch now if the model is free and enough waits, else sets the deadline of the oldest. */
  private schedule(): void {
    if (this.busy || this.closed || this.waitingTokens === 0) return;
    if (this.waitingTokens >= this.options.batchTokens) {
      this.dispatch();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (!this.busy) this.dispatch();
    }, this.options.maxWaitMs);
  }

  /** Sends whatever waits, without waiting for company (the model was busy, or the deadline passed). */
  private dispatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.nextBatch();
    if (batch.length === 0) return;
    this.busy = true;
    const rows = batch.map((item) => item.ids);
    const paddedLength = Math.max(...rows.map((r) => r.length));
    const realTokens = rows.reduce((sum, r) => sum + r.length, 0);
    this.stats.computed += paddedLength * rows.length;
    this.stats.real += realTokens;
    const started = performance.now();
    this.runBatch(rows)
      .then(
        (results) => {
          batch.forEach((item, i) => this.complete(item, results[i]!));
          const report = {
            rows: rows.length,
            paddedLength,
            realTokens,
            seconds: (performance.now() - started) / 1000,
          };
          for (const listener of this.listeners) listener(report);
        },
        (error: Error) => {
          for (const item of batch) this.fail(item.flow, error);
        },
      )
      .finally(() => {
        this.busy = false;
        // Whatever arrived while the model was busy has waited long enough.
        if (this.waitingTokens > 0) this.dispatch();
      });
  }

  /** Flows with something waiting, neediest first: least-served tenant, then least-served flow, then oldest. */
  private backlog(): Flow[] {
    const tenants = [...this.tenants.values()]
      .filter((t) => t.flows.size > 0)
      .sort((a, b) => a.served - b.served);
    return tenants.flatMap((t) =>
      [...t.flows].filter((f) => f.items.length > 0).sort((a, b) => a.served - b.served || a.seq - b.seq),
    );
  }

  /** Picks the rows of the next batch and charges them to their flows and tenants. */
  private nextBatch(): Item[] {
    const flows = this.backlog();
    const lead = flows[0];
    if (!lead) return [];
    // Virtual time moves to the lead's: newcomers start there.
    this.tenantClock = lead.tenant.served;
    lead.tenant.clock = lead.served;
    const { batchTokens, maxRowTokens, maxPaddingShare = 0.25 } = this.options;
    const linearBudget = Math.max(batchTokens, maxRowTokens);
    const attentionBudget = Math.max(maxRowTokens * maxRowTokens, SHORT_ROW * batchTokens);
    const batch: Item[] = [];
    let padded = 0;
    let real = 0;
    for (const flow of flows) {
      for (const item of flow.items) {
        const length = Math.max(padded, item.ids.length);
        const rows = batch.length + 1;
        const fits =
          batch.length === 0 ||
          (rows * length <= linearBudget &&
            rows * length * length <= attentionBudget &&
            1 - (real + item.ids.length) / (rows * length) <= maxPaddingShare);
        if (!fits) continue;
        batch.push(item);
        padded = length;
        real += item.ids.length;
      }
    }
    for (const item of batch) {
      const flow = item.flow;
      flow.items.splice(flow.items.indexOf(item), 1);
      flow.served += item.ids.length;
      flow.tenant.served += item.ids.length;
      this.waitingTokens -= item.ids.length;
    }
    return batch;
  }

  private complete(item: Item, result: R): void {
    const flow = item.flow;
    if (flow.failed) return;
    flow.results[item.index] = result;
    flow.done += 1;
    if (flow.done === flow.results.length) {
      this.retire(flow);
      flow.resolve(flow.results);
    }
  }

  private fail(flow: Flow, error: Error): void {
    if (flow.failed) return;
    flow.failed = true;
    // Its other passes are of no use any more.
    for (const item of flow.items) this.waitingTokens -= item.ids.length;
    flow.items = [];
    this.retire(flow);
    flow.reject(error);
  }

  private retire(flow: Flow): void {
    flow.tenant.flows.delete(flow);
    // Forget idle tenants, keeping the map small; a returning tenant starts at the current virtual time.
    if (flow.tenant.flows.size === 0) this.tenants.delete(flow.tenant.key);
  }

  /** Refuses new work and fails what is still waiting (what the model holds finishes or fails on its own). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const tenant of this.tenants.values()) {
      for (const flow of tenant.flows)
        if (flow.items.length > 0) this.fail(flow, new Error('the embedding engine is closed'));
    }
  }
}
