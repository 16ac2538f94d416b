/**
 * Why a document could not be turned into text. The code is stored as the document's `failure_reason`, so it is
 * part of the public contract: clients branch on it.
 */
export type FailureReason =
  | 'no_text'
  | 'unsupported_format'
  | 'corrupt_file'
  | 'encrypted'
  | 'too_large'
  | 'extract_timeout'
  | 'extract_memory'
  | 'extract_crashed';

/** A permanent extraction failure: the same bytes will fail the same way, so retrying is pointless. */
export class ExtractionError extends Error {
  override readonly name = 'ExtractionError';
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The extraction was stopped from outside (the process is shutting down): nothing is known about the document,
 * so this must never be stored as its failure — the job is simply not finished.
 */
export class ExtractionAbortedError extends Error {
  override readonly name = 'ExtractionAbortedError';
  constructor() {
    super('extraction stopped: the process is shutting down');
  }
}
