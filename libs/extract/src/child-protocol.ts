import type { FailureReason } from './errors';
import type { DocumentFormat } from './sniff';

/** Parent -> extraction child: one document per child process. */
export interface ChildRequest {
  path: string;
  format: Exclude<DocumentFormat, 'text'>;
  maxInflatedBytes: number;
}

/** Child -> parent. */
export type ChildReply = { ok: true; text: string } | { ok: false; reason: FailureReason; message: string };
