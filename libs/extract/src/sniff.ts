export type DocumentFormat = 'pdf' | 'docx' | 'html' | 'text';

/**
 * The format from the bytes themselves, never from a file name or a declared content type (a PDF named `.docx`
 * is a PDF). Anything that is not PDF, ZIP or HTML is treated as text, which decoding then accepts or refuses.
 */
export function sniffFormat(head: Uint8Array): DocumentFormat {
  const ascii = Buffer.from(head.subarray(0, 1024)).toString('latin1');
  if (ascii.includes('%PDF-')) return 'pdf';
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
