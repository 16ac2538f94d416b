/** Exit codes of `shortlist` (documented in README.md), after sysexits.h where one fits. */
export const ExitCode = {
  ok: 0,
  /** A command failed for a reason it reported. */
  failure: 1,
  /** Wrong arguments. */
  usage: 64,
  /** A service (PostgreSQL, Redis, S3), the models or the execution provider are unusable as configured. */
  unavailable: 69,
  /** A bug: an error nobody anticipated. */
  internal: 70,
  /** A configuration variable is wrong or missing. */
  config: 78,
} as const;
