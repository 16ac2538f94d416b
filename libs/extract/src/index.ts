export { extractFile } from './extractor';
export type { ExtractLimits, ExtractedText } from './extractor';
export { ExtractionAbortedError, ExtractionError } from './errors';
export type { FailureReason } from './errors';
export { hasText, normaliseText } from './normalise';
export { sniffFormat } from './sniff';
export type { DocumentFormat } from './sniff';
