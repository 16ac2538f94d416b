import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { EmptyDocumentError, ExitCode, coerceError, loadSections } from '@shortlist/config';
import { EmbeddingEngine } from '@shortlist/embedding';
import { checkInputFile, checkOutputFile } from '../arguments';
import { runCommand } from '../run-command';

/** Documents embedded at once: enough for the batcher to fill batches, few enough to bound memory. */
const WINDOW = 64;
/** Skipped lines named on stderr; the rest are counted. */
const MAX_REPORTED = 20;

interface Line {
  number: number;
  id: string;
  text: string;
}

function parseLine(raw: string, number: number): Line | string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return `line ${number}: not valid JSON`;
  }
  const { id, text } = (value ?? {}) as { id?: unknown; text?: unknown };
  if (typeof id !== 'string' && typeof id !== 'number')
    return `line ${number}: "id" must be a string or number`;
  if (typeof text !== 'string') return `line ${number} (id ${id}): "text" must be a string`;
  return { number, id: String(id), text };
}

async function write(out: Writable, line: string): Promise<void> {
  if (!out.write(line)) await once(out, 'drain');
}

export function registerEmbed(program: Command): void {
  program
    .command('embed')
    .description('embed JSONL documents {id, text} into {id, tokens, semantic, domain} with both models')
    .requiredOption('--in <file>', 'input JSONL, one {id, text} per line ("-" for stdin)')
    .requiredOption('--out <file>', 'output JSONL ("-" for stdout)')
    .option('--models <dir>', 'models directory with semantic/ and domain/ (default: MODELS_DIR)')
    .option('--quantized', 'use the INT8 ONNX files')
    .action(
      runCommand(async (options: { in: string; out: string; models?: string; quantized?: boolean }) => {
        if (options.in !== '-') await checkInputFile('--in', options.in);
        if (options.out !== '-')
          await checkOutputFile(
            '--out',
            options.out,
            options.in === '-' ? [] : [{ path: options.in, why: 'is the input (--in)' }],
          );
        const config = loadSections(['models', 'embed']);
        const engine = await EmbeddingEngine.open({
          modelsDir: options.models ?? config.models.dir,
          provider: config.embed.provider,
          quantized: options.quantized ?? config.embed.quantized,
          threads: config.embed.threads,
          passTokens: config.embed.passTokens,
          passOverlap: config.embed.passOverlap,
          maxDocumentTokens: config.embed.maxDocumentTokens,
          batchTokens: config.embed.batchTokens,
        });
        for (const warning of engine.fusedCopyWarnings) process.stderr.write(`shortlist embed: ${warning}\n`);
        const input = options.in === '-' ? process.stdin : createReadStream(options.in);
        const out = options.out === '-' ? process.stdout : createWriteStream(options.out);
        let failed = 0;
        let done = 0;
        // Each line skipped is named, up to a point: a file that is not JSONL at all (a PDF given as --in) would
        // otherwise print one line per line of it.
        const report = (message: string) => {
          if (++failed <= MAX_REPORTED) process.stderr.write(`shortlist embed: ${message}\n`);
        };
        // Windows of documents embedded concurrently, written in input order.
        const flush = async (window: Line[]) => {
          const results = await Promise.allSettled(
            window.map((l) => engine.embed(l.text, `line ${l.number} (id ${l.id})`)),
          );
          for (const [i, result] of results.entries()) {
            const line = window[i]!;
            if (result.status === 'rejected') {
              const error = coerceError(result.reason);
              report(
                error instanceof EmptyDocumentError ? error.message : `line ${line.number}: ${error.message}`,
              );
              continue;
            }
            const { tokens, truncated, semantic, domain } = result.value;
            // `truncated` only when it happened: the text had more than EMBED_MAX_DOCUMENT_TOKENS tokens.
            const record = {
              id: line.id,
              tokens,
              ...(truncated ? { truncated } : {}),
              semantic: Array.from(semantic),
              domain: Array.from(domain),
            };
            await write(out, `${JSON.stringify(record)}\n`);
            done++;
          }
        };
        try {
          let window: Line[] = [];
          let number = 0;
          for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
            number++;
            if (raw.trim() === '') continue;
            const parsed = parseLine(raw, number);
            if (typeof parsed === 'string') report(parsed);
            else window.push(parsed);
            if (window.length >= WINDOW) {
              await flush(window);
              window = [];
            }
          }
          await flush(window);
        } finally {
          await engine.close();
          if (out !== process.stdout) {
            out.end();
            await once(out, 'finish');
          }
        }
        if (failed > MAX_REPORTED)
          process.stderr.write(`shortlist embed: ... and ${failed - MAX_REPORTED} more line(s) skipped\n`);
        process.stderr.write(
          `shortlist embed: ${done} embedded, ${failed} skipped, padding overhead ${((engine.paddingRatio - 1) * 100).toFixed(1)}%\n`,
        );
        if (failed > 0) process.exitCode = ExitCode.failure;
      }),
    );
}
