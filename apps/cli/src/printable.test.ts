import { printable, printableLines } from './printable';

describe('printable', () => {
  it('shows controls and invisible format characters as escapes', () => {
    expect(printable('clear\x1b[2J\n')).toBe('clear\\x1b[2J\\x0a');
    expect(printable('cv-\u202efdp.txt')).toBe('cv-\\u202efdp.txt');
    expect(printable('a\u200bb\u2066c\ufeff')).toBe('a\\u200bb\\u2066c\\ufeff');
    expect(printable('Zoë 李 résumé.pdf')).toBe('Zoë 李 résumé.pdf');
  });

  it('keeps the line breaks of a message of several lines', () => {
    expect(printableLines('one\x07\ntwo')).toBe('one\\x07\ntwo');
  });
});
