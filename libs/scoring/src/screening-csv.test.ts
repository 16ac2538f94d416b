import { SCREENING_CSV_COLUMNS, screeningCsv } from './screening-csv';

describe('screeningCsv', () => {
  const ranked = {
    rank: 1,
    documentId: 'd1',
    file: 'alice.pdf',
    final: 100,
    unclipped: 119.40178155899048,
    semantic: 0.99501484632492,
    domain: -0.123456789,
    sameDomain: true,
    gate: { factor: 1.2, clipped: true },
    flags: ['borderline', 'review'] as const,
    domainLabel: { label: 'technology', similarity: 0.612345, runnerUp: { label: 'design' } },
    evidence: [{ text: 'Built APIs, in Go', similarity: 0.71234 }],
  };

  it('rounds 0-100 scores to 2 decimals and cosines to 4, with flags and the gate factor', () => {
    const [header, row] = screeningCsv([ranked]).split('\r\n');
    expect(header).toBe(SCREENING_CSV_COLUMNS.join(','));
    expect(header).toBe(
      'rank,status,file,documentId,final,unclipped,semantic,domain,sameDomain,gateFactor,clipped,flags,' +
        'domainLabel,domainSimilarity,domainRunnerUp,reason,evidence',
    );
    expect(row).toBe(
      '1,ranked,alice.pdf,d1,100.00,119.40,0.9950,-0.1235,true,1.2,true,borderline review,technology,0.6123,' +
        'design,,"0.7123 Built APIs, in Go"',
    );
  });

  it('lists the files it could not rank after the ranking, with their status and reason', () => {
    const lines = screeningCsv(
      [ranked],
      [
        { status: 'skipped', reason: 'too_large', file: 'big.pdf' },
        { status: 'failed', reason: 'no_text', file: 'scan.pdf', documentId: 'd2' },
      ],
    ).split('\r\n');
    expect(lines.slice(2)).toEqual([
      ',skipped,big.pdf,,,,,,,,,,,,,too_large,',
      ',failed,scan.pdf,d2,,,,,,,,,,,,no_text,',
      '',
    ]);
  });

  it('neutralises formulas in file names and evidence', () => {
    const csv = screeningCsv([
      { ...ranked, file: '=HYPERLINK("http://x")', evidence: [] },
      { ...ranked, rank: 2, file: '@SUM(A1)', unclipped: -12.5 },
    ]);
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(csv).toContain(`'@SUM(A1)`);
    // A negative number stays a number.
    expect(csv).toContain(',-12.50,');
  });
});
