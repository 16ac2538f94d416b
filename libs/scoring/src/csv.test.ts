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
  });
});
