/**
 * Characters a file name (or a job description's title) must not send as they are: C0 and C1 controls (an escape
 * sequence clears a terminal or sets its title), and invisible format characters — zero-width, bidirectional
 * embeddings, overrides and isolates (`cv-\u202efdp.txt` reads as `cv-txt.pdf`), the byte order mark.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
const UNPRINTABLE_BUT_NEWLINE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

const escaped = (c: string) => {
  const code = c.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** Text for one line of a terminal or a page: each such character shown as its escape (`\x1b`, `\u202e`). */
export const printable = (text: string) => text.replace(UNPRINTABLE, escaped);

/** The same for a message of several lines: its line breaks kept. */
export const printableLines = (text: string) => text.replace(UNPRINTABLE_BUT_NEWLINE, escaped);
