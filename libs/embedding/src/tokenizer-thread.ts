import { workerData } from 'node:worker_threads';
import { serveRequests } from './service-thread';
import { DocumentTokenizer } from './tokenizer';

/**
 * The tokenizer thread: tokenizing is CPU work (about 1 s per MB of text) that must not run on the main thread,
 * where it would stall BullMQ's lock renewal and HTTP; nor on the inference thread, where it would idle the model.
 */

export interface TokenizerInit {
  tokenizerPath: string;
}

export interface TokenizerInfo {
  /** Special tokens around one sequence, e.g. [CLS] and [SEP]. */
  prefix: number[];
  suffix: number[];
}

export interface TokenizeRequest {
  text: string;
  maxTokens: number;
}

export interface TokenizeResult {
  ids: Int32Array;
  truncated: boolean;
}

serveRequests<TokenizerInit, TokenizerInfo, TokenizeRequest, TokenizeResult>(
  (init) => {
    const tokenizer = new DocumentTokenizer(init.tokenizerPath);
    return Promise.resolve({
      info: { prefix: tokenizer.prefix, suffix: tokenizer.suffix },
      handle: ({ text, maxTokens }) => {
        const { ids, truncated } = tokenizer.encode(text, maxTokens);
        const packed = Int32Array.from(ids);
        return Promise.resolve({ result: { ids: packed, truncated }, transfer: [packed.buffer] });
      },
    });
  },
  (workerData as { init: TokenizerInit }).init,
);
