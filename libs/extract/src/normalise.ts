/* eslint-disable no-control-regex -- this module exists to find and remove control characters */
// Every C0/C1 control except tab and newline, zero-width and bidi formatting characters, and non-characters.
const INVISIBLE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\ufeff\ufffe\uffff]/g;
/** Halves of surrogate pairs standing alone: not encodable as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The text that reaches PostgreSQL and the tokenizer: NFC; no NUL, other control characters or lone surrogates
 * (PostgreSQL refuses NUL in text, and they carry no meaning); spaces collapsed within lines; blank lines
 * collapsed to one paragraph break.
 */
export function normaliseText(raw: string): string {
  return raw
    .replace(LONE_SURROGATE, '\ufffd')
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(INVISIBLE, ' ')
    .split('\n')
    .map((line) => line.replace(/[\s\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** True when there is something to embed: at least one letter or digit. */
export function hasText(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}
