import { toCsv } from './csv';

describe('toCsv', () => {
  it('writes a header and quotes what needs quoting', () => {
    expect(
      toCsv(
        ['a', 'b'],
        [
          { a: 'x, "y"', b: 1.5 },
          { a: null, b: true },
        ],
      ),
    ).toBe('a,b\r\n"x, ""y""",1.5\r\n,true\r\n');
  });
  it('defuses text a spreadsheet would run as a formula', () => {
    expect(toCsv(['file'], [{ file: '=HYPERLINK("x")' }])).toBe('file\r\n"\'=HYPERLINK(""x"")"\r\n');
    // Behind spaces or invisible characters, and in full-width or small forms, it is still a formula.
    for (const text of [
      ' =1+1',
      '\u00a0=1+1',
      '\u202e=1+1',
      '\u200b@SUM(1)',
      '\uff1d1+1',
      '\ufe66cmd',
      '\uff0b1',
    ]) {
      expect(toCsv(['file'], [{ file: text }])).toBe(`file\r\n'${text}\r\n`);
    }
    // Numbers stay numbers.
    expect(toCsv(['score'], [{ score: '-0.25' }])).toBe('score\r\n-0.25\r\n');
  });

  it('quotes a field holding any separator a spreadsheet may split on, so no cell can start a formula', () => {
    // A locale that splits on `;` (German, French Excel) would read the unquoted `=1+1` as a cell of its own.
    expect(toCsv(['evidence'], [{ evidence: 'SQL and Python;=1+1' }])).toBe(
      'evidence\r\n"SQL and Python;=1+1"\r\n',
    );
    expect(toCsv(['file'], [{ file: 'x\t=cmd.txt' }])).toBe('file\r\n"x\t=cmd.txt"\r\n');
  });
});
