import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
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

/**
 * The models' shared WordPiece tokenizer (tokenizer.json, via @huggingface/tokenizers). Documents are encoded
 * whole — no truncation — and framed per chunk with the same special tokens the tokenizer adds to one sequence.
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
      throw new ModelLoadError(`cannot read ${tokenizerPath}: ${(error as Error).message}`);
    }
    const configPath = join(dirname(tokenizerPath), 'tokenizer_config.json');
    const config = existsSync(configPath) ? (JSON.parse(readFileSync(configPath, 'utf8')) as object) : {};
    // Exported tokenizers often carry a truncation (e.g. 128 or 512 tokens) and padding setting; documents are
    // chunked here instead, so both are dropped: every token of a document must reach the model.
    this.tokenizer = new Tokenizer({ ...json, truncation: null, padding: null }, config);
    // The template around a single sequence: what it adds to an empty text, split around the content slot.
    const framed = this.tokenizer.encode('a', { add_special_tokens: true }).ids;
    const bare = this.tokenizer.encode('a', { add_special_tokens: false }).ids;
    const at = framed.indexOf(bare[0]!);
    this.prefix = framed.slice(0, at);
    this.suffix = framed.slice(at + bare.length);
  }

  /** The content tokens of a text, without special tokens. */
  content(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** The whole document as one framed sequence (what the contract's `tokens` reports). */
  framed(content: number[]): number[] {
    return [...this.prefix, ...content, ...this.suffix];
  }
}
