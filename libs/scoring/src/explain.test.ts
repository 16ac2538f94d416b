import { auditCandidates, flagsOf, gateDecision, reasonText, reviewCutoff } from './explain';
import { DEFAULT_PARAMS, hybridScore } from './hybrid-score';

const scored = (semantic: number, domain: number, params = DEFAULT_PARAMS) =>
  hybridScore(semantic, domain, params);

describe('gateDecision', () => {
  it('says a boosted candidate was above the threshold, with the factor and the clipping', () => {
    expect(gateDecision(scored(0.9, 0.62), DEFAULT_PARAMS)).toEqual({
      domain: 0.62,
      threshold: 0.5,
      factor: 1.2,
      clipped: true,
      explanation: 'domain 0.62 > threshold 0.50: boosted ×1.2; 108.00 clipped to 100',
    });
  });

  it('says a penalised one was at or below it, unclipped', () => {
    expect(gateDecision(scored(0.5, 0.5), DEFAULT_PARAMS)).toEqual({
      domain: 0.5,
      threshold: 0.5,
      factor: 0.6,
      clipped: false,
      explanation: 'domain 0.50 ≤ threshold 0.50: penalised ×0.6',
    });
  });

  it('prints the numbers with the digits that show the decision, and the threshold as given', () => {
    const explain = (domain: number, threshold: number) => {
      const params = { ...DEFAULT_PARAMS, threshold };
      return gateDecision(scored(0.8, domain, params), params).explanation.replace(/:.*/, '');
    };
    expect(explain(0.5004, 0.5)).toBe('domain 0.5004 > threshold 0.50');
    expect(explain(0.4996, 0.5)).toBe('domain 0.4996 ≤ threshold 0.50');
    expect(explain(0.9912, 0.991)).toBe('domain 0.9912 > threshold 0.991');
    expect(explain(0.9906, 0.991)).toBe('domain 0.9906 ≤ threshold 0.991');
    expect(explain(0.991, 0.991)).toBe('domain 0.991 ≤ threshold 0.991');
    expect(explain(0.62, 0.5)).toBe('domain 0.62 > threshold 0.50');
  });

  it('names the hard gate, and clipping at 0', () => {
    const params = { ...DEFAULT_PARAMS, hardGate: true };
    expect(gateDecision(scored(-0.2, 0.1, params), params).explanation).toBe(
      'domain 0.10 ≤ threshold 0.50: removed by the hard gate; -12.00 clipped to 0',
    );
  });
});

describe('flags', () => {
  it('marks borderline within ±0.05 of the threshold, both sides, inclusive', () => {
    expect(flagsOf({ semantic: 0.1, domain: 0.55, sameDomain: true }, DEFAULT_PARAMS, 0.9)).toEqual([
      'borderline',
    ]);
    expect(flagsOf({ semantic: 0.1, domain: 0.45, sameDomain: false }, DEFAULT_PARAMS, 0.9)).toEqual([
      'borderline',
    ]);
    expect(flagsOf({ semantic: 0.1, domain: 0.56, sameDomain: true }, DEFAULT_PARAMS, 0.9)).toEqual([]);
    expect(flagsOf({ semantic: 0.1, domain: 0.44, sameDomain: false }, DEFAULT_PARAMS, 0.9)).toEqual([]);
  });

  it('marks review when the semantic score is in the top decile but the candidate was penalised', () => {
    expect(flagsOf({ semantic: 0.9, domain: 0.2, sameDomain: false }, DEFAULT_PARAMS, 0.85)).toEqual([
      'review',
    ]);
    expect(flagsOf({ semantic: 0.9, domain: 0.8, sameDomain: true }, DEFAULT_PARAMS, 0.85)).toEqual([]);
    expect(flagsOf({ semantic: 0.8, domain: 0.2, sameDomain: false }, DEFAULT_PARAMS, 0.85)).toEqual([]);
  });

  it("takes the top decile as PostgreSQL's percentile_cont(0.9)", () => {
    expect(reviewCutoff([])).toBeNull();
    expect(reviewCutoff([0.3])).toBe(0.3);
    // 11 values 0..1: the 90th percentile is 0.9 exactly.
    expect(reviewCutoff(Array.from({ length: 11 }, (_, i) => i / 10))).toBeCloseTo(0.9, 12);
    // 0.1, 0.2, 0.3, 0.4: position 2.7 -> 0.37.
    expect(reviewCutoff([0.4, 0.1, 0.3, 0.2])).toBeCloseTo(0.37, 12);
  });
});

describe('auditCandidates', () => {
  const candidates = [
    { semantic: 0.95, domain: 0.3 }, // top decile, penalised: review
    { semantic: 0.5, domain: 0.52 }, // boosted, borderline
    { semantic: 0.4, domain: 0.7 },
    { semantic: 0.3, domain: 0.48 }, // penalised, borderline
    ...Array.from({ length: 8 }, (_, i) => ({ semantic: 0.1 + i * 0.01, domain: 0.8 })),
  ];

  it('counts boosted, penalised, borderline and review candidates', () => {
    const { reviewCutoff: cutoff, ...counts } = auditCandidates(candidates, DEFAULT_PARAMS);
    // Sorted, positions 9 and 10 of 12 are 0.4 and 0.5: 0.4 + 0.9 × 0.1.
    expect(cutoff).toBeCloseTo(0.49, 10);
    expect(counts).toEqual({
      candidates: 12,
      boosted: 10,
      penalised: 2,
      removedByGate: 0,
      borderline: 2,
      review: 1,
    });
  });

  it('counts the hard gate’s removals instead of penalties', () => {
    expect(auditCandidates(candidates, { ...DEFAULT_PARAMS, hardGate: true })).toMatchObject({
      boosted: 10,
      penalised: 0,
      removedByGate: 2,
      review: 1,
    });
  });
});

describe('reasonText', () => {
  it('puts codes in words, leaving unknown ones as they are', () => {
    expect(reasonText('too_large')).toBe('the file is larger than the size limit');
    expect(reasonText('something_new')).toBe('something_new');
  });
});
