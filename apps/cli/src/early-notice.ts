/**
 * The first thing `shortlist screen` shows on a terminal, before the rest of the program (its database,
 * object-store and queue libraries: over a second) has loaded: imported first by main.ts, and importing nothing.
 * The next message replaces it (clearEarlyNotice).
 */
let shown = false;

const [command, ...rest] = process.argv.slice(2);
if (command === 'screen' && process.stderr.isTTY && !rest.some((a) => a === '--help' || a === '-h')) {
  process.stderr.write('shortlist: starting…');
  shown = true;
}

/** Erases the notice's line, if it is still there, so that the next message takes its place. */
export function clearEarlyNotice(): void {
  if (shown) process.stderr.write('\r\x1b[2K');
  shown = false;
}
