/**
 * Failure reasons that say nothing about the document itself: a service stayed down through every retry, the
 * parser ran past this deployment's time or memory limit or crashed, the worker's scratch disk was full. A
 * document failed for one of these is processed again when its bytes are uploaded again or when a client asks
 * (`POST /v1/documents/:id/retry`); one failed for its own content (`corrupt_file`, `no_text`, ...) is not.
 * The one list of them: intake, the retry endpoint and the docs follow it.
 */
export const NOT_THE_DOCUMENTS_FAULT = [
  'retries_exhausted',
  'extract_timeout',
  'extract_memory',
  'extract_crashed',
  'scratch_space_full',
] as const;

/** Whether a failed document may be processed again: its failure was not its own fault. */
export function isRetryableFailure(reason: string | null | undefined): boolean {
  return (NOT_THE_DOCUMENTS_FAULT as readonly (string | null | undefined)[]).includes(reason);
}
