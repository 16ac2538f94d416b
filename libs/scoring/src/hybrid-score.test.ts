import {
  DEFAULT_PARAMS,
  InvalidScoreParamsError,
  hybridScore,
  rankCandidates,
  resolveParams,
} from './hybrid-score';

describe('hybridScore', () => {
  it('boosts a candidate above the domain threshold and penalises one at or below it', () => {
    expect(hybridScore(0.5, 0.51)).toMatchObject({ sameDomain: true, unclipped: 60, final: 60 });
    // Exactly at the threshold is not "above": penalised.
    expect(hybridScore(0.5, 0.5)).toMatchObject({ sameDomain: false, unclipped: 30, final: 30 });
  });

  it('clips at 100 but keeps the unclipped value', () => {
    const score = hybridScore(0.9, 0.8);
    expect(score.final).toBe(100);
    expect(score.unclipped).toBeCloseTo(108, 10);
    expect(hybridScore(0.834, 0.8).final).toBe(100);
    expect(hybridScore(0.833, 0.8).final).toBeCloseTo(99.96, 10);
  });

  it('clips a negative similarity at 0, keeping its negative unclipped value', () => {
    expect(hybridScore(-0.2, 0.9)).toMatchObject({ final: 0, unclipped: -24 });
    expect(hybridScore(-0.2, 0.1)).toMatchObject({ final: 0, unclipped: -12 });
  });

  it('uses overridden parameters', () => {
    const params = resolveParams({ threshold: 0.7, boost: 1.5, penalty: 0.2 });
    expect(hybridScore(0.4, 0.6, params)).toMatchObject({ sameDomain: false, final: 8 });
    expect(hybridScore(0.4, 0.71, params)).toMatchObject({ sameDomain: true, final: 60 });
  });
});

describe('rankCandidates', () => {
  it('breaks ties on final by unclipped, then by document id', () => {
    const ranked = rankCandidates([
      { documentId: 'c', semantic: 0.9, domain: 0.9 }, // unclipped 108
      { documentId: 'a', semantic: 0.95, domain: 0.9 }, // unclipped 114
      { documentId: 'b', semantic: 0.9, domain: 0.9 }, // unclipped 108, id before c
      { documentId: 'd', semantic: 0.3, domain: 0.1 },
    ]);
    expect(ranked.map((r) => [r.rank, r.documentId, r.final])).toEqual([
      [1, 'a', 100],
      [2, 'b', 100],
      [3, 'c', 100],
      [4, 'd', expect.closeTo(18, 10)],
    ]);
  });

  it('ranks equal scores by meaning: with penalty 0 every penalised candidate scores 0, the closest first', () => {
    const ranked = rankCandidates(
      [
        { documentId: 'a', semantic: 0.7, domain: 0.2 },
        { documentId: 'b', semantic: 0.99, domain: 0.1 },
        { documentId: 'c', semantic: 0.99, domain: 0.3 },
      ],
      { ...DEFAULT_PARAMS, penalty: 0 },
    );
    expect(ranked.map((r) => [r.documentId, r.final])).toEqual([
      ['c', 0],
      ['b', 0],
      ['a', 0],
    ]);
  });

  it('excludes out-of-domain candidates under the hard gate', () => {
    const ranked = rankCandidates(
      [
        { documentId: 'in', semantic: 0.2, domain: 0.6 },
        { documentId: 'out', semantic: 0.9, domain: 0.4 },
      ],
      { ...DEFAULT_PARAMS, hardGate: true },
    );
    expect(ranked.map((r) => r.documentId)).toEqual(['in']);
  });
});

describe('resolveParams', () => {
  it('layers defaults, the posting and the request', () => {
    expect(resolveParams({ threshold: 0.6 }, { boost: 1.4 })).toEqual({
      threshold: 0.6,
      boost: 1.4,
      penalty: 0.6,
      hardGate: false,
    });
  });

  it('names the field that is out of range or unknown', () => {
    expect(() => resolveParams({ threshold: 2 })).toThrow(InvalidScoreParamsError);
    expect(() => resolveParams({ threshold: 2 })).toThrow(/^params\.threshold: /);
    expect(() => resolveParams({ boost: -1 })).toThrow(/^params\.boost: /);
    expect(() => resolveParams({ bost: 1 } as never)).toThrow(/bost/);
  });
});
