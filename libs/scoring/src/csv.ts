export type CsvValue = string | number | boolean | null | undefined;

/** A plain decimal number: safe in a spreadsheet whatever its sign (no formula can hide in it). */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * Text a spreadsheet would run as a formula: `=`, `+`, `-`, `@` (or their full-width and small forms, which some
 * spreadsheets fold to them), tab or CR first, after any spaces and invisible characters (which they skip).
 */
const FORMULA_START =
  /^[\s\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]*[=+\-@\t\r\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63]/;

/**
 * One CSV field (RFC 4180): formula-like text defused, and quoted when it holds a quote, a line break or any
 * separator a spreadsheet may split on (`,`, and `;` or tab in the locales that use them: unquoted, `a;=1+1` was
 * two cells there, the second a formula).
 */
function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return /[",;\t\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A header line, then one line per row, CRLF-terminated. */
export function toCsv<C extends string>(columns: readonly C[], rows: Record<C, CsvValue>[]): string {
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
