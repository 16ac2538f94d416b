export type DocumentFormat = 'pdf' | 'docx' | 'html' | 'text';

/**
 * The format from the bytes themselves, never from a file name or a declared content type (a PDF named `.docx`
 * is a PDF). Anything that is not PDF, ZIP or HTML is treated as text, which decoding then accepts or refuses.
 */
export function sniffFormat(head: Uint8Array): DocumentFormat {
  const ascii = Buffer.from(head.subarray(0, 1024)).toString('latin1');
  if (isPdf(head, ascii.indexOf(PDF_HEADER))) return 'pdf';
  if (ascii.startsWith('PK\x03\x04')) return 'docx';
  const start = ascii
    .replace(/^(\xef\xbb\xbf|\xff\xfe|\xfe\xff)/, '')
    .replace(/\0/g, '')
    .trimStart()
    .slice(0, 256)
    .toLowerCase();
  if (/^<(!doctype html|html|head|body)[\s>]/.test(start) || /^<\?xml[^>]*>\s*<html/.test(start))
    return 'html';
  return 'text';
}

const PDF_HEADER = '%PDF-';
// Control characters other than tab, LF and CR: text has none of them.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/**
 * pdf.js's rule (PDFDocument.checkHeader: `find(stream, PDF_HEADER_SIGNATURE)`, limit 1024): the header may sit
 * anywhere in the first 1,024 bytes, after junk (a mail or HTTP header, stray bytes). Text that merely mentions
 * `%PDF-1.7` is not a PDF, though: when everything before the marker is valid UTF-8 text (no control bytes but
 * tab, CR and LF) and the marker is inside a line rather than starting one, the document is text.
 */
function isPdf(head: Uint8Array, at: number): boolean {
  if (at < 0) return false;
  if (at === 0) return true;
  const before = head.subarray(0, at);
  const startsLine = before[at - 1] === 0x0a || before[at - 1] === 0x0d;
  return startsLine || !isText(before);
}

function isText(bytes: Uint8Array): boolean {
  try {
    return !CONTROL.test(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return false;
  }
}
