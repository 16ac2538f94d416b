import { sniffFormat } from './sniff';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('sniffFormat', () => {
  it('finds a PDF header at offset 0, or after junk within the first 1,024 bytes as pdf.js does', () => {
    expect(sniffFormat(bytes('%PDF-1.7\n1 0 obj'))).toBe('pdf');
    expect(sniffFormat(Buffer.concat([Buffer.from([0x00, 0xff, 0x13, 0x88]), bytes('%PDF-1.4\n')]))).toBe(
      'pdf',
    );
    // A mail or HTTP header before it: text, but the marker starts a line.
    expect(sniffFormat(bytes('Content-Type: application/pdf\r\n\r\n%PDF-1.5\n'))).toBe('pdf');
  });

  it('takes a text resume that mentions %PDF-1.7 in its first kilobyte as text', () => {
    const resume =
      'Jane Doe, document engineer.\nBuilt a validator for the %PDF-1.7 header and the xref table; ' +
      'Python, C++ and résumé parsers.\n';
    expect(sniffFormat(bytes(resume))).toBe('text');
  });

  it('ignores a header past the first 1,024 bytes', () => {
    expect(sniffFormat(Buffer.concat([Buffer.alloc(1030, 0x20), bytes('%PDF-1.7')]))).toBe('text');
  });
});
