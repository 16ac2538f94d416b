import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { coerceError } from '@shortlist/config';
import { ModelLoadError } from './errors';

/** The part of @huggingface/tokenizers' Tokenizer used here. */
interface HfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[] };
}

// The package ships a CommonJS build for Node, but its types declare it ESM-only (TS1479 from CommonJS).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tokenizer } = require('@huggingface/tokenizers') as {
  Tokenizer: new (tokenizerJson: object, tokenizerConfig: object) => HfTokenizer;
};

/** Characters tokenized at a time: a document capped at N tokens costs about N tokens of work, whatever its size. */
const SLICE_CHARS = 16_384;

/** The content tokens of a document, up to a cap. */
export interface DocumentTokens {
  ids: number[];
  /** The text had more tokens than the cap: `ids` holds the first ones. */
  truncated: boolean;
}

/**
 * The models' shared tokenizer (tokenizer.json, via @huggingface/tokenizers). A document is encoded up to a
 * cap on its tokens, without special tokens; the engine frames each pass with the same special tokens the
 * tokenizer adds to one sequence.
 */
export class DocumentTokenizer {
  private readonly tokenizer: HfTokenizer;
  /** Special tokens around one sequence, e.g. [CLS] and [SEP]. */
  readonly prefix: number[];
  readonly suffix: number[];

  constructor(tokenizerPath: string) {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(tokenizerPath, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ModelLoadError(`cannot read ${tokenizerPath}: ${coerceError(error).message}`);
    }
    const configPath = join(dirname(tokenizerPath), 'tokenizer_config.json');
    const config = existsSync(configPath) ? (JSON.parse(readFileSync(configPath, 'utf8')) as object) : {};
    // Exported tokenizers often carry a truncation (e.g. 128 or 512 tokens) and padding setting; the engine
    // decides how much of a document to embed, so both are dropped.
    this.tokenizer = new Tokenizer({ ...json, truncation: null, padding: null }, config);
    // The template around a single sequence: what it adds to an empty text, split around the content slot.
    const framed = this.tokenizer.encode('a', { add_special_tokens: true }).ids;
    const bare = this.tokenizer.encode('a', { add_special_tokens: false }).ids;
    const at = framed.indexOf(bare[0]!);
    this.prefix = framed.slice(0, at);
    this.suffix = framed.slice(at + bare.length);
  }

  /**
   * The first `maxTokens` content tokens of a text. The text is encoded slice by slice, each cut just before a
   * ASCII whitespace character: BERT-style tokenizers never join tokens across whitespace, so the ids equal those of
   * the whole text encoded at once (a run of more than SLICE_CHARS characters without whitespace is the one
   * exception), and a 20 MB text costs no more than its first `maxTokens` tokens.
   */
  encode(text: string, maxTokens: number): DocumentTokens {
    const ids: number[] = [];
    let start = 0;
    // One token past the cap tells a truncated text from one that fits exactly.
    while (start < text.length && ids.length <= maxTokens) {
      const end = sliceEnd(text, start);
      for (const id of this.tokenizer.encode(text.slice(start, end), { add_special_tokens: false }).ids) {
        ids.push(id);
      }
      start = end;
    }
    const truncated = ids.length > maxTokens;
    if (truncated) ids.length = maxTokens;
    return { ids, truncated };
  }
}

/** ASCII whitespace: a word boundary for every tokenizer (Unicode spaces and format characters are not always). */
const BOUNDARY = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Where the slice starting at `start` ends: before the last whitespace within SLICE_CHARS, else at the limit. */
function sliceEnd(text: string, start: number): number {
  const limit = start + SLICE_CHARS;
  if (limit >= text.length) return text.length;
  for (let i = limit; i > start + SLICE_CHARS / 2; i--) {
    if (BOUNDARY.has(text.charCodeAt(i))) return i;
  }
  // No whitespace nearby: cut anyway, but never inside a surrogate pair.
  const code = text.charCodeAt(limit);
  return code >= 0xdc00 && code <= 0xdfff ? limit - 1 : limit;
}
