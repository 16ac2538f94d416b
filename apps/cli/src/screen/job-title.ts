import { basename, extname } from 'node:path';

/** Longest first line taken as a title; a longer one is a paragraph, not a heading. */
const MAX_TITLE = 100;

/**
 * A job description's title: its first line with letters in it, up to a colon that introduces the rest
 * ("Senior data engineer: Kafka, Spark..." -> "Senior data engineer"); the file name without its extension when
 * that line is no title (too long, or there is no text).
 */
export function jobTitle(text: string, file: string): string {
  const fallback = basename(file, extname(file));
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /\p{L}/u.test(l));
  if (!line) return fallback;
  const heading = line.replace(/^(title|job title|position|role)\s*:\s*/i, '');
  const colon = heading.search(/:\s/);
  const title = (colon > 0 ? heading.slice(0, colon) : heading).replace(/[:.\s]+$/, '').trim();
  return title.length > 0 && title.length <= MAX_TITLE ? title : fallback;
}
