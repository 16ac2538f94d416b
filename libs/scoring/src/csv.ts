export type CsvValue = string | number | boolean | null | undefined;

/** A plain decimal number: safe in a spreadsheet whatever its sign (no formula can hide in it). */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/** One CSV field (RFC 4180): quoted when it holds a separator, quote or line break; formula-like text defused. */
function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  // A spreadsheet would run `=...`, `+...`, `-...`, `@...` in a text cell as a formula.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A header line, then one line per row, CRLF-terminated. */
export function toCsv<C extends string>(columns: readonly C[], rows: Record<C, CsvValue>[]): string {
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
