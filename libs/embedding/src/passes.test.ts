import { splitIntoPasses } from './passes';

const CLS = [101];
const SEP = [102];
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1000);

describe('splitIntoPasses', () => {
  it('keeps a document within the limit in one framed pass', () => {
    expect(splitIntoPasses([7, 8, 9], CLS, SEP, { maxTokens: 8, overlap: 2 })).toEqual([
      { ids: [101, 7, 8, 9, 102], weight: 3 },
    ]);
  });

  it('fills a pass exactly to the limit, specials included', () => {
    const passes = splitIntoPasses(range(6), CLS, SEP, { maxTokens: 8, overlap: 2 });
    expect(passes).toHaveLength(1);
    expect(passes[0]!.ids).toHaveLength(8);
  });

  it('covers every token of a long document, overlapping consecutive windows', () => {
    const content = range(100);
    const passes = splitIntoPasses(content, CLS, SEP, { maxTokens: 12, overlap: 3 });
    const seen = new Set(passes.flatMap((c) => c.ids.slice(1, -1)));
    expect([...seen].sort((a, b) => a - b)).toEqual(content);
    for (const c of passes) {
      expect(c.ids.length).toBeLessThanOrEqual(12);
      expect(c.ids[0]).toBe(101);
      expect(c.ids.at(-1)).toBe(102);
      expect(c.weight).toBe(c.ids.length - 2);
    }
    passes.slice(1).forEach((c, i) => expect(c.ids.slice(1, 4)).toEqual(passes[i]!.ids.slice(-4, -1)));
    expect(passes.at(-1)!.ids.at(-2)).toBe(content.at(-1));
  });

  it('rejects policies that cannot make progress', () => {
    expect(() => splitIntoPasses(range(5), CLS, SEP, { maxTokens: 2, overlap: 0 })).toThrow(/no room/);
    expect(() => splitIntoPasses(range(5), CLS, SEP, { maxTokens: 8, overlap: 6 })).toThrow(/overlap 6/);
  });
});
