import type { FailureReason } from './errors';
import type { DocumentFormat } from './sniff';

/** Parent -> extraction child: one document per child process. */
export interface ChildRequest {
  path: string;
  format: DocumentFormat;
  maxInflatedBytes: number;
}

/** Child -> parent: the text normalised (normaliseText), or why there is none. */
export type ChildReply = { ok: true; text: string } | { ok: false; reason: FailureReason; message: string };
