import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildReply, ChildRequest } from './child-protocol';
import { decodeText } from './decode-text';
import { DEFAULT_ZIP_LIMITS } from './docx-text';
import { ExtractionAbortedError, ExtractionError } from './errors';
import { hasText, normaliseText } from './normalise';
import { sniffFormat, type DocumentFormat } from './sniff';

export interface ExtractLimits {
  /** Wall clock for one document's parser. */
  timeoutMs: number;
  /** Resident memory (and V8 heap) of the parser process. */
  memoryMb: number;
  /** Inflated size of a DOCX archive. */
  maxInflatedBytes?: number;
}

export interface ExtractedText {
  format: DocumentFormat;
  /** Normalised; never empty. */
  text: string;
}

/** Plain text up to this size is decoded in the calling process (a few milliseconds at most). */
export const IN_PROCESS_TEXT_BYTES = 256 * 1024;

/**
 * The text of a document file. The format comes from its bytes; small plain text is decoded here (no parser runs);
 * bigger text, PDF, DOCX and HTML are decoded or parsed, and normalised, in a child process that is killed past the wall-clock or memory limit.
 * Every failure of the document is an ExtractionError with a reason code; `signal` (a shutdown) kills the parser
 * and rejects with ExtractionAbortedError instead, which says nothing about the document.
 */
export async function extractFile(
  path: string,
  limits: ExtractLimits,
  signal?: AbortSignal,
): Promise<ExtractedText> {
  if (signal?.aborted) throw new ExtractionAbortedError();
  const head = Buffer.alloc(1024);
  const handle = await open(path);
  const [{ bytesRead }, { size }] = await Promise.all([
    handle.read(head, 0, head.length, 0),
    handle.stat(),
  ]).finally(() => handle.close());
  if (bytesRead === 0) throw new ExtractionError('no_text', 'the file is empty (0 bytes)');
  const format = sniffFormat(head.subarray(0, bytesRead));
  // Small plain text is decoded here (no process to start); anything bigger in the child too: charset detection
  // and normalisation of megabytes take seconds, which the worker's event loop (job locks, health) cannot spare.
  const text =
    format === 'text' && size <= IN_PROCESS_TEXT_BYTES
      ? normaliseText(decodeText(await readFile(path)))
      : await runChildTwiceIfCrashed(
          { path, format, maxInflatedBytes: limits.maxInflatedBytes ?? DEFAULT_ZIP_LIMITS.maxInflatedBytes },
          limits,
          signal,
        );
  if (!hasText(text)) {
    throw new ExtractionError(
      'no_text',
      format === 'pdf' ? 'the PDF has no text layer (scanned or image-only?)' : `the ${format} has no text`,
    );
  }
  return { format, text };
}

/** The child's script: the bundle's sibling in dist/, or the TypeScript source (tests, through tsx). */
function childScript(): { script: string; execArgv: string[] } {
  const bundled = join(__dirname, 'extract-child.js');
  if (existsSync(bundled)) return { script: bundled, execArgv: [] };
  return { script: join(__dirname, 'extract-child.ts'), execArgv: ['--import', 'tsx'] };
}

/**
 * A parser that crashed — died with no answer and no verdict of ours: killed from outside, or started on a machine
 * short of memory or processes — is started once more: a document is extract_crashed only when it crashes the
 * parser twice (a busy machine failed good files as extract_crashed). Timeouts, memory and refusals are final.
 */
async function runChildTwiceIfCrashed(
  request: ChildRequest,
  limits: ExtractLimits,
  signal?: AbortSignal,
): Promise<string> {
  try {
    return await runChild(request, limits, signal);
  } catch (error) {
    if (!(error instanceof ExtractionError) || error.reason !== 'extract_crashed' || signal?.aborted)
      throw error;
    return runChild(request, limits, signal);
  }
}

function runChild(request: ChildRequest, limits: ExtractLimits, signal?: AbortSignal): Promise<string> {
  const { script, execArgv } = childScript();
  const child = fork(script, [], {
    execArgv: [...execArgv, `--max-old-space-size=${limits.memoryMb}`],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'advanced',
    // A process group of its own: a terminal's Ctrl-C (SIGINT to the whole foreground group) must reach only us,
    // so that our orderly stop lets the parse finish instead of recording the document as extract_crashed.
    // Only this process signals the child; it exits by itself when we are gone (its IPC channel closes).
    detached: true,
  });
  return new Promise<string>((resolve, reject) => {
    let stderr = '';
    let verdict: ExtractionError | ExtractionAbortedError | undefined;
    let reply: ChildReply | undefined;
    const kill = (error: ExtractionError | ExtractionAbortedError) => {
      verdict ??= error;
      child.kill('SIGKILL');
    };
    const abort = () => kill(new ExtractionAbortedError());
    signal?.addEventListener('abort', abort, { once: true });
    const timer = setTimeout(
      () => kill(new ExtractionError('extract_timeout', `parsing took longer than ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    const sampler = setInterval(() => {
      if (residentMb(child) > limits.memoryMb) {
        kill(new ExtractionError('extract_memory', `parsing needed more than ${limits.memoryMb} MB`));
      }
    }, 100);
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    child.on('message', (message: ChildReply) => (reply = message));
    child.on('error', (error) => kill(new ExtractionError('extract_crashed', error.message)));
    child.on('exit', (code, exitSignal) => {
      clearTimeout(timer);
      clearInterval(sampler);
      signal?.removeEventListener('abort', abort);
      if (verdict) return reject(verdict);
      if (reply?.ok) return resolve(reply.text);
      if (reply) return reject(new ExtractionError(reply.reason, reply.message));
      if (/heap out of memory|allocation failed/i.test(stderr)) {
        return reject(
          new ExtractionError('extract_memory', `parsing needed more than ${limits.memoryMb} MB`),
        );
      }
      reject(new ExtractionError('extract_crashed', `the parser exited (${exitSignal ?? `code ${code}`})`));
    });
    child.send(request);
  });
}

/** Resident set of a child in MB, from /proc (Linux); 0 where unavailable (the V8 heap cap still applies). */
function residentMb(child: ChildProcess): number {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}
