/** Exit codes of every Shortlist process (documented in README.md), after sysexits.h where one fits. */
export const ExitCode = {
  ok: 0,
  /** A command failed for a reason it reported. */
  failure: 1,
  /** Wrong arguments. */
  usage: 64,
  /** An input file cannot be used (`shortlist screen`: the job description cannot be read). */
  dataError: 65,
  /** A service (PostgreSQL, Redis, S3), the models or the execution provider are unusable as configured. */
  unavailable: 69,
  /** An output file cannot be created (`shortlist screen --out` in a missing or read-only folder). */
  cannotCreate: 73,
  /** Busy: what the command needs is in use (`shortlist screen`: another run holds the data directory). */
  busy: 75,
  /** A bug: an error nobody anticipated. */
  internal: 70,
  /** A configuration variable is wrong or missing. */
  config: 78,
  /** Stopped by Ctrl-C (SIGINT); what was finished is kept. */
  interrupted: 130,
} as const;

/**
 * A known problem of the set-up or of the input, not a bug: its message is the one line the operator needs, and it
 * names the exit code. Libraries throw subclasses (ConfigError, DatabaseSetupError, StorageSetupError,
 * ModelLoadError, JobDescriptionError, ...).
 */
export abstract class SetupError extends Error {
  abstract readonly exitCode: number;
}

/** The line and exit code for an error that ends a process or a command. */
export function describeFailure(error: unknown): { code: number; message: string } {
  if (error instanceof SetupError) return { code: error.exitCode, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: ExitCode.internal, message: `unexpected error: ${message}` };
}

/** A process entry point: a failure at start prints as one line prefixed by the program and sets the exit code. */
export function runMain(program: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const { code, message } = describeFailure(error);
    process.stderr.write(`${program}: ${message}\n`);
    process.exit(code);
  });
}
