export { extractFile } from './extractor';
export type { ExtractLimits } from './extractor';
export { ExtractionAbortedError, ExtractionError } from './errors';
