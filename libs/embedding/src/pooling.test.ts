import { combinePasses, l2Normalise, meanPool } from './pooling';

describe('meanPool', () => {
  it('averages only the real tokens of each row', () => {
    // rows 2, length 3, dims 2; row 0 has 2 real tokens, row 1 has 3
    const hidden = Float32Array.from([1, 2, 3, 4, 99, 99, 1, 1, 2, 2, 3, 3]);
    expect(Array.from(meanPool(hidden, 2, 3, 2, [2, 3]))).toEqual([2, 3, 2, 2]);
  });
});

describe('combinePasses', () => {
  it('weights passes by their tokens and normalises', () => {
    const v = combinePasses([Float32Array.from([1, 0]), Float32Array.from([0, 1])], [3, 1]);
    expect(v[0]! / v[1]!).toBeCloseTo(3, 6);
    expect(Math.hypot(...v)).toBeCloseTo(1, 6);
  });

  it('equals the plain normalised mean for one pass', () => {
    expect(Array.from(combinePasses([Float32Array.from([3, 4])], [7]))).toEqual(
      Array.from(l2Normalise([3, 4])),
    );
  });
});
