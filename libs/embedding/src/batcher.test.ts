import { Batcher, type BatcherOptions } from './batcher';

/** A row of n tokens whose every id is `tag`: batches can be read back as who went with whom. */
const row = (n: number, tag = 1) => Array.from({ length: n }, () => tag);

/** A model the test drives: each batch waits until the test finishes it. */
function controlledModel() {
  const started: { rows: number[][]; finish: () => void; fail: (error: Error) => void }[] = [];
  let wake: (() => void) | undefined;
  const run = (rows: number[][]) =>
    new Promise<number[]>((resolve, reject) => {
      started.push({ rows, finish: () => resolve(rows.map((r) => r.length)), fail: reject });
      wake?.();
    });
  let taken = 0;
  /** The next batch the batcher sent (waits for it). */
  const next = async () => {
    while (started.length <= taken) await new Promise<void>((r) => (wake = r));
    return started[taken++]!;
  };
  /** Tags of each row of a batch, e.g. [[1], [2, 2]] -> "1,2". */
  const tags = (rows: number[][]) => rows.map((r) => r[0]).join(',');
  return { run, next, tags };
}

function batcherWith(options: Partial<BatcherOptions>) {
  const model = controlledModel();
  const batcher = new Batcher<number>(
    { batchTokens: 64, maxRowTokens: 64, maxWaitMs: 0, ...options },
    model.run,
  );
  return { batcher, model };
}

describe('Batcher', () => {
  it('sends one long pass alone and many short ones together, within rows x length and rows x length²', async () => {
    const { batcher, model } = batcherWith({ batchTokens: 64, maxRowTokens: 64 });
    const blocker = batcher.submit([row(10, 9)]);
    const first = await model.next();
    // While the model is busy: one 64-token document and four of 8 tokens.
    const long = batcher.submit([row(64, 1)]);
    const short = [2, 3, 4, 5].map((tag) => batcher.submit([row(8, tag)]));
    first.finish();
    await blocker;
    const second = await model.next();
    expect(model.tags(second.rows)).toBe('1');
    second.finish();
    const third = await model.next();
    expect(model.tags(third.rows)).toBe('2,3,4,5');
    third.finish();
    await expect(long).resolves.toEqual([64]);
    await expect(Promise.all(short)).resolves.toEqual([[8], [8], [8], [8]]);
  });

  it('bounds attention: rows x padded length² stays within one pass at the limit', async () => {
    const { batcher, model } = batcherWith({ batchTokens: 8192, maxRowTokens: 2048 });
    const blocker = batcher.submit([row(4, 9)]);
    const first = await model.next();
    // 1,024-token rows: the linear budget (8,192) would take 8 of them; attention (2,048² or 512 x 8,192) takes 4.
    const docs = [1, 2, 3, 4, 5, 6].map((tag) => batcher.submit([row(1024, tag)]));
    first.finish();
    await blocker;
    const sizes: number[] = [];
    for (let done = 0; done < 6;) {
      const batch = await model.next();
      const length = Math.max(...batch.rows.map((r) => r.length));
      expect(batch.rows.length * length * length).toBeLessThanOrEqual(2048 * 2048);
      sizes.push(batch.rows.length);
      done += batch.rows.length;
      batch.finish();
    }
    expect(sizes).toEqual([4, 2]);
    await Promise.all(docs);
  });

  it('lets short rows fill the linear budget even under a small single-pass limit', async () => {
    const { batcher, model } = batcherWith({ batchTokens: 1024, maxRowTokens: 64 });
    const blocker = batcher.submit([row(4, 9)]);
    const first = await model.next();
    const docs = Array.from({ length: 20 }, (_, i) => batcher.submit([row(64, i + 1)]));
    first.finish();
    await blocker;
    const second = await model.next();
    expect(second.rows).toHaveLength(16); // 16 x 64 = 1,024 tokens
    second.finish();
    const third = await model.next();
    expect(third.rows).toHaveLength(4);
    third.finish();
    await Promise.all(docs);
  });

  it('lets small documents that arrive behind a big one go before the rest of it', async () => {
    const { batcher, model } = batcherWith({ batchTokens: 16, maxRowTokens: 16 });
    const finished: string[] = [];
    const big = batcher.submit(Array.from({ length: 10 }, () => row(16, 1))).then(() => finished.push('big'));
    const first = await model.next();
    expect(model.tags(first.rows)).toBe('1');
    const small = [2, 3, 4].map((tag) =>
      batcher.submit([row(4, tag)]).then(() => finished.push(`small ${tag}`)),
    );
    first.finish();
    const second = await model.next();
    expect(model.tags(second.rows)).toBe('2,3,4');
    second.finish();
    await Promise.all(small);
    for (let i = 1; i < 10; i++) {
      const batch = await model.next();
      expect(model.tags(batch.rows)).toBe('1');
      batch.finish();
    }
    await big;
    expect(finished).toEqual(['small 2', 'small 3', 'small 4', 'big']);
  });

  it("does not let one tenant's many documents hold another tenant's behind them", async () => {
    const { batcher, model } = batcherWith({ batchTokens: 16, maxRowTokens: 16 });
    const busy = [1, 2, 3, 4, 5].map((tag) => batcher.submit([row(16, tag)], 'tenant-a'));
    const first = await model.next();
    const other = batcher.submit([row(16, 7)], 'tenant-b');
    first.finish();
    const second = await model.next();
    expect(model.tags(second.rows)).toBe('7');
    second.finish();
    await other;
    for (let i = 0; i < 4; i++) (await model.next()).finish();
    await Promise.all(busy);
  });

  it('keeps rows of very different lengths apart (padding share at most 25%)', async () => {
    const { batcher, model } = batcherWith({ batchTokens: 256, maxRowTokens: 64 });
    const blocker = batcher.submit([row(4, 9)]);
    const first = await model.next();
    const docs = [batcher.submit([row(40, 1)]), batcher.submit([row(6, 2)]), batcher.submit([row(38, 3)])];
    first.finish();
    await blocker;
    const second = await model.next();
    expect(model.tags(second.rows)).toBe('1,3');
    second.finish();
    const third = await model.next();
    expect(model.tags(third.rows)).toBe('2');
    third.finish();
    await Promise.all(docs);
    expect(batcher.stats).toEqual({ computed: 4 + 40 * 2 + 6, real: 4 + 40 + 38 + 6 });
  });

  it('sends a partial batch once the oldest pass waited maxWaitMs while the model was idle', async () => {
    const batcher = new Batcher<number>({ batchTokens: 1000, maxRowTokens: 100, maxWaitMs: 5 }, (rows) =>
      Promise.resolve(rows.map(() => rows.length)),
    );
    await expect(Promise.all([batcher.submit([row(3)]), batcher.submit([row(4)])])).resolves.toEqual([
      [2],
      [2],
    ]);
  });

  it('reports every batch: rows, padded length, real tokens', async () => {
    const batcher = new Batcher<number>({ batchTokens: 10, maxRowTokens: 10, maxWaitMs: 60_000 }, (rows) =>
      Promise.resolve(rows.map((r) => r.length)),
    );
    const reports: unknown[] = [];
    batcher.onBatch(({ rows, paddedLength, realTokens }) => reports.push({ rows, paddedLength, realTokens }));
    // 10 tokens waiting fill the budget: sent at once, no deadline involved.
    await expect(batcher.submit([row(5), row(5)])).resolves.toEqual([5, 5]);
    expect(reports).toEqual([{ rows: 2, paddedLength: 5, realTokens: 10 }]);
  });

  it('fails the documents of a failed batch, drops their other passes, and refuses over-long passes', async () => {
    const { batcher, model } = batcherWith({ batchTokens: 16, maxRowTokens: 16 });
    const doomed = batcher.submit([row(16, 1), row(16, 1), row(16, 1)]);
    (await model.next()).fail(new Error('boom'));
    await expect(doomed).rejects.toThrow('boom');
    const survivor = batcher.submit([row(4, 2)]);
    const next = await model.next();
    expect(model.tags(next.rows)).toBe('2');
    next.finish();
    await expect(survivor).resolves.toEqual([4]);
    await expect(batcher.submit([row(17)])).rejects.toThrow(
      'a pass of 17 tokens exceeds the single-pass limit of 16',
    );
  });

  it('fails what is still waiting when closed', async () => {
    const { batcher, model } = batcherWith({ batchTokens: 16, maxRowTokens: 16 });
    const running = batcher.submit([row(16, 1)]);
    const first = await model.next();
    const waiting = batcher.submit([row(16, 2)]);
    batcher.close();
    await expect(waiting).rejects.toThrow('the embedding engine is closed');
    first.finish();
    await expect(running).resolves.toEqual([16]);
    await expect(batcher.submit([row(1)])).rejects.toThrow('the batcher is closed');
  });
});
