import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DocumentTokenizer } from './tokenizer';

const TOKENIZER = join(
  __dirname,
  '..',
  '..',
  '..',
  'test',
  'fixtures',
  'models',
  'tiny',
  'semantic',
  'tokenizer.json',
);

// The same library, on the whole text at once: what slicing must reproduce.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tokenizer } = require('@huggingface/tokenizers') as {
  Tokenizer: new (
    json: object,
    config: object,
  ) => {
    encode(text: string, options: { add_special_tokens: boolean }): { ids: number[] };
  };
};
const whole = new Tokenizer(JSON.parse(readFileSync(TOKENIZER, 'utf8')) as object, {});
const wholeIds = (text: string) => whole.encode(text, { add_special_tokens: false }).ids;

describe('DocumentTokenizer', () => {
  const tokenizer = new DocumentTokenizer(TOKENIZER);
  const words = 'senior nurse, patient care; python engineer (kubernetes) — résumé 🚀 data\tteam\nled'.split(
    ' ',
  );

  it('gives the ids of the whole text at once, encoding it slice by slice', () => {
    const text = Array.from({ length: 30_000 }, (_, i) => words[(i * 7) % words.length]).join(' ');
    expect(text.length).toBeGreaterThan(5 * 16_384);
    expect(tokenizer.encode(text, 1_000_000)).toEqual({ ids: wholeIds(text), truncated: false });
  });

  it('keeps the first N tokens and says whether the text had more', () => {
    const text = Array.from({ length: 30_000 }, () => 'nurse').join(' ');
    expect(tokenizer.encode(text, 100)).toEqual({ ids: wholeIds(text).slice(0, 100), truncated: true });
    expect(tokenizer.encode(text, 30_000)).toEqual({ ids: wholeIds(text), truncated: false });
    expect(tokenizer.encode(`${text}   \n `, 30_000).truncated).toBe(false);
  });

  it('frames one sequence with the special tokens the tokenizer adds', () => {
    expect(tokenizer.prefix).toHaveLength(1);
    expect(tokenizer.suffix).toHaveLength(1);
  });
});
