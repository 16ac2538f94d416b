import chardet from 'chardet';
import iconv from 'iconv-lite';
import { ExtractionError } from './errors';

/**
 * Bytes of a plain-text document as a string: a byte order mark decides (UTF-8, UTF-16 LE/BE); otherwise strict
 * UTF-8; otherwise the encoding chardet detects. Bytes that decode mostly to control characters are not text.
 */
export function decodeText(bytes: Buffer): string {
  if (bytes.length === 0) throw new ExtractionError('no_text', 'the file is empty (0 bytes)');
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return decodeStrict(bytes.subarray(3));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const utf8 = tryStrictUtf8(bytes);
  if (utf8 !== undefined) return utf8;
  const encoding = chardet.detect(bytes);
  if (!encoding || !iconv.encodingExists(encoding)) {
    throw new ExtractionError('unsupported_format', 'not PDF, DOCX, HTML or text in a known encoding');
  }
  const text = iconv.decode(bytes, encoding);
  // Random or binary bytes "decode" in any single-byte charset; real text has few control characters.
  // eslint-disable-next-line no-control-regex
  const controls = text.match(/[\u0000-\u0008\u000e-\u001f\u007f-\u009f\ufffd]/g)?.length ?? 0;
  if (controls / Math.max(1, text.length) > 0.05) {
    throw new ExtractionError(
      'unsupported_format',
      `not PDF, DOCX, HTML or text (binary content; best guess ${encoding})`,
    );
  }
  return text;
}

function tryStrictUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function decodeStrict(bytes: Uint8Array): string {
  const text = tryStrictUtf8(bytes);
  if (text === undefined)
    throw new ExtractionError('corrupt_file', 'invalid UTF-8 after a UTF-8 byte order mark');
  return text;
}
