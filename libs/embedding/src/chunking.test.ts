import { chunkTokens } from './chunking';

const CLS = [101];
const SEP = [102];
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1000);

describe('chunkTokens', () => {
  it('keeps a short document in one framed chunk', () => {
    expect(chunkTokens([7, 8, 9], CLS, SEP, { maxTokens: 8, overlap: 2 })).toEqual([
      { ids: [101, 7, 8, 9, 102], weight: 3 },
    ]);
  });

  it('fills a chunk exactly to the limit, specials included', () => {
    const chunks = chunkTokens(range(6), CLS, SEP, { maxTokens: 8, overlap: 2 });
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.ids).toHaveLength(8);
  });

  it('covers every token of a long document, overlapping consecutive chunks', () => {
    const content = range(100);
    const chunks = chunkTokens(content, CLS, SEP, { maxTokens: 12, overlap: 3 });
    const seen = new Set(chunks.flatMap((c) => c.ids.slice(1, -1)));
    expect([...seen].sort((a, b) => a - b)).toEqual(content);
    for (const c of chunks) {
      expect(c.ids.length).toBeLessThanOrEqual(12);
      expect(c.ids[0]).toBe(101);
      expect(c.ids.at(-1)).toBe(102);
      expect(c.weight).toBe(c.ids.length - 2);
    }
    chunks.slice(1).forEach((c, i) => expect(c.ids.slice(1, 4)).toEqual(chunks[i]!.ids.slice(-4, -1)));
    expect(chunks.at(-1)!.ids.at(-2)).toBe(content.at(-1));
  });

  it('rejects policies that cannot make progress', () => {
    expect(() => chunkTokens(range(5), CLS, SEP, { maxTokens: 2, overlap: 0 })).toThrow(/no room/);
    expect(() => chunkTokens(range(5), CLS, SEP, { maxTokens: 8, overlap: 6 })).toThrow(/overlap 6/);
  });
});
