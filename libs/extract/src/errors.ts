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
