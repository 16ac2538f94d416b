import { Batcher } from './batcher';

const seq = (n: number) => Array.from({ length: n }, () => 1);

describe('Batcher', () => {
  it('groups waiting items by length within the token budget', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number>({ batchTokens: 100, maxWaitMs: 1000 }, (rows) => {
      batches.push(rows.map((r) => r.length));
      return Promise.resolve(rows.map((r) => r.length));
    });
    const pending = [10, 30, 12, 28, 11].map((n) => batcher.add(seq(n)));
    batcher.flush();
    await expect(Promise.all(pending)).resolves.toEqual([10, 30, 12, 28, 11]);
    expect(batches).toEqual([
      [30, 28, 12],
      [11, 10],
    ]);
    for (const b of batches) expect(Math.max(...b) * b.length).toBeLessThanOrEqual(100);
    expect(batcher.stats).toEqual({ computed: 30 * 3 + 11 * 2, real: 91 });
  });

  it('sends a partial batch once the oldest item waited maxWaitMs', async () => {
    const batcher = new Batcher<number>({ batchTokens: 1000, maxWaitMs: 5 }, (rows) =>
      Promise.resolve(rows.map(() => rows.length)),
    );
    await expect(Promise.all([batcher.add(seq(3)), batcher.add(seq(4))])).resolves.toEqual([2, 2]);
  });

  it('sends at once when the waiting tokens fill the budget', async () => {
    let calls = 0;
    const batcher = new Batcher<number>({ batchTokens: 10, maxWaitMs: 60_000 }, (rows) => {
      calls++;
      return Promise.resolve(rows.map((r) => r.length));
    });
    await expect(Promise.all([batcher.add(seq(5)), batcher.add(seq(5))])).resolves.toEqual([5, 5]);
    expect(calls).toBe(1);
  });

  it('fails every item of a failed batch and refuses oversized ones', async () => {
    const batcher = new Batcher<number>({ batchTokens: 10, maxWaitMs: 1 }, () =>
      Promise.reject(new Error('boom')),
    );
    await expect(batcher.add(seq(3))).rejects.toThrow('boom');
    await expect(batcher.add(seq(11))).rejects.toThrow(/exceeds the batch budget/);
  });
});
