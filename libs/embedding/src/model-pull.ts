import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { coerceError } from '@shortlist/config';
import type { Role } from './models-dir';

/**
 * Downloads the nbk models from the Hugging Face hub into MODELS_DIR/<role>/: lists the repository's files
 * through the hub API (paths are not hard-coded), picks the ONNX export (INT8 on request) and the tokenizer and
 * config files, resumes interrupted downloads with HTTP ranges, and verifies every file's size and hash.
 */

export const NBK_REPOSITORIES: Record<Role, string> = {
  semantic: '0xnbk/nbk-ats-semantic-v1-en',
  domain: '0xnbk/nbk-ats-domain-v1-en',
};

/** The hub cannot be reached: says so, and what to do instead. */
export class HubUnreachableError extends Error {
  override readonly name = 'HubUnreachableError';
}

/** A downloaded file that is not what the hub listed (size or hash), or a repository without what we need. */
export class ModelPullError extends Error {
  override readonly name = 'ModelPullError';
}

interface TreeEntry {
  type: 'file' | 'directory';
  path: string;
  size: number;
  /** git blob sha1 (for files stored in git). */
  oid: string;
  /** Large files: sha256 of the content. */
  lfs?: { oid: string; size: number };
}

export interface PullOptions {
  endpoint: string;
  token?: string | undefined;
  revision?: string;
  quantized?: boolean;
  /** Bytes received so far for a file, for progress display. */
  onProgress?: (event: { role: Role; path: string; received: number; total: number }) => void;
  /** Longest the hub may send nothing (no answer, no byte of a download) before the pull gives up; default 30 s. */
  stallMs?: number;
}

/**
 * Aborts a request once it has gone `ms` without progress: a hub that accepts the connection and then stops
 * sending would otherwise hold a pull (and the demo waiting on it) for ever. `progress()` restarts the clock.
 */
class StallWatch {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly ms: number) {
    this.progress();
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  progress(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => this.controller.abort(new Error(`the hub sent nothing for ${this.ms / 1000} s`)),
      this.ms,
    );
    this.timer.unref();
  }
  stop(): void {
    clearTimeout(this.timer);
  }
}

export interface PulledFile {
  path: string;
  size: number;
  /** Already present and verified: not downloaded again. */
  skipped: boolean;
}

const SIDE_FILES = ['tokenizer.json', 'config.json', 'tokenizer_config.json', 'special_tokens_map.json'];

function unreachable(endpoint: string, cause: string): HubUnreachableError {
  return new HubUnreachableError(`cannot reach the Hugging Face hub at ${endpoint} (${cause})`);
}

async function request(
  url: string,
  options: PullOptions,
  watch: StallWatch,
  headers: Record<string, string> = {},
): Promise<Response> {
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  try {
    return await fetch(url, { headers: { ...auth, ...headers }, redirect: 'follow', signal: watch.signal });
  } catch (error) {
    if (watch.signal.aborted) throw unreachable(options.endpoint, coerceError(watch.signal.reason).message);
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw unreachable(options.endpoint, cause?.code ?? cause?.message ?? coerceError(error).message);
  }
}

const stallWatch = (options: PullOptions) => new StallWatch(options.stallMs ?? 30_000);

async function listFiles(repo: string, options: PullOptions): Promise<TreeEntry[]> {
  const revision = options.revision ?? 'main';
  const url = `${options.endpoint}/api/models/${repo}/tree/${encodeURIComponent(revision)}?recursive=true`;
  const watch = stallWatch(options);
  try {
    const response = await request(url, options, watch);
    if (response.status === 401 || response.status === 403) {
      throw new ModelPullError(`the hub refused access to ${repo} (HTTP ${response.status}): set HF_TOKEN`);
    }
    if (response.status === 404)
      throw new ModelPullError(`no repository ${repo} (revision ${revision}) on the hub`);
    if (!response.ok) throw unreachable(options.endpoint, `HTTP ${response.status} listing ${repo}`);
    return ((await response.json()) as TreeEntry[]).filter((e) => e.type === 'file');
  } catch (error) {
    if (watch.signal.aborted && !(error instanceof HubUnreachableError)) {
      throw unreachable(options.endpoint, coerceError(watch.signal.reason).message);
    }
    throw error;
  } finally {
    watch.stop();
  }
}

/** The files to fetch: the ONNX export (full or INT8), its external-data files, tokenizer and config. */
function selectFiles(entries: TreeEntry[], quantized: boolean): TreeEntry[] {
  const onnx = entries.filter((e) => e.path.endsWith('.onnx'));
  const isQuantized = (p: string) => /quant|int8|uint8|q8/i.test(p);
  const candidates = onnx
    .filter((e) => isQuantized(e.path) === quantized)
    .sort((a, b) => a.path.length - b.path.length || a.path.localeCompare(b.path));
  const model = candidates[0];
  if (!model) {
    throw new ModelPullError(
      `the repository has no ${quantized ? 'quantized ' : ''}ONNX export (files: ${entries.map((e) => e.path).join(', ')})`,
    );
  }
  const external = entries.filter(
    (e) => e.path.startsWith(`${model.path}_data`) || e.path.startsWith(`${model.path}.data`),
  );
  const side = entries.filter((e) => SIDE_FILES.includes(e.path));
  for (const required of ['tokenizer.json', 'config.json']) {
    if (!side.some((e) => e.path === required)) throw new ModelPullError(`the repository has no ${required}`);
  }
  return [model, ...external, ...side];
}

/** The hash the hub lists for a file: sha256 for LFS files, git's blob sha1 otherwise. */
async function matches(path: string, entry: TreeEntry): Promise<boolean> {
  const size = entry.lfs?.size ?? entry.size;
  if (!existsSync(path) || (await stat(path)).size !== size) return false;
  const hash = createHash(entry.lfs ? 'sha256' : 'sha1');
  if (!entry.lfs) hash.update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex') === (entry.lfs?.oid ?? entry.oid);
}

async function download(role: Role, repo: string, entry: TreeEntry, target: string, options: PullOptions) {
  const total = entry.lfs?.size ?? entry.size;
  const partial = `${target}.partial`;
  await mkdir(dirname(target), { recursive: true });
  // Resume: ask only for the bytes the partial file lacks.
  const have = existsSync(partial) ? Math.min((await stat(partial)).size, total) : 0;
  const url = `${options.endpoint}/${repo}/resolve/${encodeURIComponent(options.revision ?? 'main')}/${entry.path}`;
  const watch = stallWatch(options);
  const response = await request(url, options, watch, have > 0 ? { range: `bytes=${have}-` } : {});
  if (!response.ok || !response.body) {
    watch.stop();
    throw unreachable(options.endpoint, `HTTP ${response.status} for ${entry.path}`);
  }
  const resumed = response.status === 206;
  let received = resumed ? have : 0;
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  // Written chunk by chunk and closed cleanly even when the transfer breaks: what arrived stays in the partial
  // file for the next pull to resume from (a destroyed stream could drop bytes already received).
  const file = createWriteStream(partial, { flags: resumed ? 'a' : 'w' });
  let interruption: Error | undefined;
  try {
    for await (const chunk of body) {
      watch.progress();
      received += (chunk as Buffer).length;
      options.onProgress?.({ role, path: entry.path, received, total });
      if (!file.write(chunk)) await once(file, 'drain');
    }
  } catch (error) {
    interruption = coerceError(watch.signal.aborted ? watch.signal.reason : error);
  } finally {
    watch.stop();
  }
  file.end();
  await once(file, 'finish');
  if (interruption) {
    throw unreachable(
      options.endpoint,
      `download of ${entry.path} interrupted at ${received} of ${total} bytes: ${interruption.message}; run the pull again to resume`,
    );
  }
  if (!(await matches(partial, entry))) {
    await rm(partial, { force: true });
    throw new ModelPullError(
      `${repo}/${entry.path} does not match the size or hash the hub lists; removed, run the pull again`,
    );
  }
  await rename(partial, target);
}

/** Pulls one role's repository into `<modelsDir>/<role>/`, skipping files already present and verified. */
export function pullModel(
  role: Role,
  repo: string,
  modelsDir: string,
  options: PullOptions,
): Promise<PulledFile[]> {
  return pullFiles(role, repo, modelsDir, options).catch((error: unknown) => {
    if (!(error instanceof HubUnreachableError)) throw error;
    // What to do instead, naming the folders this pull was for.
    throw new HubUnreachableError(
      `${error.message}: copy the model folders into ${join(modelsDir, 'semantic')} and ` +
        `${join(modelsDir, 'domain')} yourself, or use the bundled tiny test models (test/fixtures/models/tiny; ` +
        'random weights)',
    );
  });
}

async function pullFiles(
  role: Role,
  repo: string,
  modelsDir: string,
  options: PullOptions,
): Promise<PulledFile[]> {
  const entries = selectFiles(await listFiles(repo, options), options.quantized ?? false);
  const pulled: PulledFile[] = [];
  for (const entry of entries) {
    const target = join(modelsDir, role, entry.path);
    const size = entry.lfs?.size ?? entry.size;
    if (await matches(target, entry)) {
      pulled.push({ path: entry.path, size, skipped: true });
      continue;
    }
    await download(role, repo, entry, target, options);
    pulled.push({ path: entry.path, size, skipped: false });
  }
  return pulled;
}
