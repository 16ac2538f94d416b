/**
 * A client of the Shortlist HTTP API, written the way an integration would be: screen a folder of resumes against
 * a job description and be told when the ranking is ready instead of polling for it.
 *
 *   node --import tsx examples/screen-folder.ts --api http://127.0.0.1:8080 --key <api key> \
 *        --job job.txt --resumes ./folder [--listen 127.0.0.1:0] [--url http://me.example:9000/shortlist] [--top 10]
 *
 * It starts a webhook receiver (node:http), registers it for screening.completed and screening.failed, uploads
 * every file of the folder (multipart, each with its file name as externalId), creates a posting from the job
 * description, adds the uploads as its applicants, starts a screening and waits for the signed webhook of that
 * run. Then it reads the run's results, prints the top of the ranking and removes the webhook. Exit 0 on success;
 * one line on stderr and exit 1 on any failure.
 *
 * Self-contained on purpose (node:http, node:crypto and fetch only): it is what a client outside this repository
 * would write. The API, the worker and their WEBHOOK_ALLOWLIST must let the API reach the receiver's address.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';

/** Files per multipart request (the API takes up to 1,000). */
const UPLOAD_BATCH = 100;
/** Largest webhook body the receiver reads (a delivery carries at most 100 small events). */
const MAX_WEBHOOK_BYTES = 1024 * 1024;
/** A delivery whose timestamp is further than this from now is refused (a replay). */
const SIGNATURE_TOLERANCE_SECONDS = 300;
const SCREENING_EVENTS = ['screening.completed', 'screening.failed'] as const;

export interface Options {
  api: string;
  key: string;
  job: string;
  resumes: string;
  listen: { host: string; port: number };
  /** The URL the API is told to deliver to (default: the receiver's own address). */
  url: string | undefined;
  top: number;
  timeoutSeconds: number;
}

/** A failure the script reports as its one line. */
class ClientError extends Error {}

const USAGE =
  'usage: screen-folder --api URL --key KEY --job FILE --resumes DIR [--listen HOST:PORT] [--url URL] [--top N] [--timeout SECONDS]';

export function parseOptions(argv: string[]): Options {
  const values = (() => {
    try {
      return parseArgs({
        args: argv,
        options: {
          api: { type: 'string' },
          key: { type: 'string' },
          job: { type: 'string' },
          resumes: { type: 'string' },
          listen: { type: 'string', default: '127.0.0.1:0' },
          url: { type: 'string' },
          top: { type: 'string', default: '10' },
          timeout: { type: 'string', default: '1200' },
        },
        strict: true,
        allowPositionals: false,
      }).values;
    } catch (error) {
      throw new ClientError(`${(error as Error).message}; ${USAGE}`);
    }
  })();
  for (const name of ['api', 'key', 'job', 'resumes'] as const) {
    if (!values[name]) throw new ClientError(`--${name} is required; ${USAGE}`);
  }
  const listen = /^(?<host>\[[^\]]+\]|[^:]+):(?<port>\d{1,5})$/.exec(values.listen)?.groups;
  if (!listen || Number(listen.port) > 65535)
    throw new ClientError('--listen must be HOST:PORT (port 0: any free one)');
  const top = Number(values.top);
  if (!Number.isInteger(top) || top < 1 || top > 10_000)
    throw new ClientError('--top must be an integer 1-10000');
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new ClientError('--timeout must be seconds > 0');
  return {
    api: values.api!.replace(/\/+$/, ''),
    key: values.key!,
    job: values.job!,
    resumes: values.resumes!,
    listen: { host: listen.host!.replace(/^\[|\]$/g, ''), port: Number(listen.port) },
    url: values.url,
    top,
    timeoutSeconds,
  };
}

// --- Webhook signatures -------------------------------------------------------------------------------------

/**
 * Checks a delivery's `Shortlist-Signature: t=<unix seconds>,v1=<hex>` header the way the README describes it:
 * `v1` is HMAC-SHA256, keyed with the endpoint's secret, of `<t>.<raw body>`; compared in constant time; a `t`
 * more than `toleranceSeconds` away from now is refused, so a captured delivery cannot be replayed later.
 */
export function verifySignature(
  secret: string,
  rawBody: string,
  header: string | undefined,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  if (!header) return false;
  const fields = new Map<string, string>();
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const timestamp = fields.get('t') ?? '';
  const given = fields.get('v1') ?? '';
  if (!/^\d{1,12}$/.test(timestamp) || !/^[0-9a-f]{64}$/i.test(given)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest();
  return timingSafeEqual(Buffer.from(given, 'hex'), expected);
}

// --- The webhook receiver -----------------------------------------------------------------------------------

export interface ScreeningEvent {
  id: string;
  type: string;
  createdAt: string;
  data: { runId?: string; status?: string; failureReason?: string; pendingDocuments?: number };
}

/**
 * An HTTP receiver on `listen`: deliveries with a valid signature are answered 200 and their events handed to
 * `onEvent`; anything else is refused (401 for a bad signature, so the API records the attempt as failed).
 */
class WebhookReceiver {
  private secret: string | undefined;
  private readonly server: Server;
  /** Every verified event so far: one may come before anybody waits for it. */
  private readonly events: ScreeningEvent[] = [];
  private onEvent: (event: ScreeningEvent) => void = () => {};

  constructor() {
    this.server = createServer((request, response) => this.handle(request, response));
  }

  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${shownHost}:${address.port}/shortlist`;
  }

  /** The endpoint's secret, once the API has shown it; deliveries before that are refused (503: retried). */
  useSecret(secret: string): void {
    this.secret = secret;
  }

  /** Resolves with the first verified event that `match` accepts, or rejects after `timeoutMs`. */
  waitFor(match: (event: ScreeningEvent) => boolean, timeoutMs: number): Promise<ScreeningEvent> {
    const already = this.events.find(match);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new TimeoutError()), timeoutMs);
      this.onEvent = (event) => {
        if (!match(event)) return;
        clearTimeout(timer);
        this.onEvent = () => {};
        resolve(event);
      };
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const refuse = (status: number, message: string) => {
      response.writeHead(status, { 'content-type': 'text/plain', connection: 'close' }).end(message);
      request.resume();
    };
    if (request.method !== 'POST' || request.url !== '/shortlist') return refuse(404, 'not found');
    if (!this.secret) return refuse(503, 'not ready');
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_WEBHOOK_BYTES) {
        refuse(413, 'too large');
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signature = request.headers['shortlist-signature'];
      if (!verifySignature(this.secret!, body, typeof signature === 'string' ? signature : undefined)) {
        console.error('refused a webhook delivery with a bad signature (answered 401)');
        return refuse(401, 'bad signature');
      }
      let events: ScreeningEvent[];
      try {
        events = (JSON.parse(body) as { events: ScreeningEvent[] }).events;
        if (!Array.isArray(events)) throw new Error('no events');
      } catch {
        return refuse(400, 'not a delivery');
      }
      response.writeHead(200).end();
      for (const event of events) {
        this.events.push(event);
        this.onEvent(event);
      }
    });
  }
}

class TimeoutError extends Error {}

// --- The API ------------------------------------------------------------------------------------------------

interface RequestOptions {
  json?: unknown;
  form?: FormData;
  /** Sent as Idempotency-Key: a retry after a lost connection or a 503 gets the first answer, not a second one. */
  idempotencyKey?: string;
}

class ShortlistApi {
  constructor(
    private readonly base: string,
    private readonly key: string,
  ) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    const body = options.form ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
    // Only a request that is safe to send again is retried: a GET or DELETE, or a POST with its Idempotency-Key.
    const attempts = method === 'POST' && !options.idempotencyKey ? 1 : 3;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(`${this.base}${path}`, { method, headers, body });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        if (attempt < attempts) {
          await delay(attempt * 1000);
          continue;
        }
        throw new ClientError(
          `${method} ${path}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
        );
      }
      // 503: a service is down for a moment; 409 with Retry-After: the first request of this key is still running.
      const retryable =
        response.status === 503 || (response.status === 409 && response.headers.has('retry-after'));
      if (retryable && attempt < attempts) {
        await response.body?.cancel();
        await delay(Math.min(Number(response.headers.get('retry-after')) || attempt, 10) * 1000);
        continue;
      }
      if (response.status === 204) return undefined as T;
      const text = await response.text();
      if (!response.ok) {
        let detail = text.trim().slice(0, 300);
        try {
          const error = JSON.parse(text) as { error?: string; message?: string };
          detail = [error.error, error.message].filter(Boolean).join(': ') || detail;
        } catch {
          // Not JSON (a proxy's page, say): the start of the text says what happened.
        }
        throw new ClientError(`${method} ${path}: ${response.status} ${detail}`);
      }
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new ClientError(`${method} ${path}: answered ${response.status} with a body that is not JSON`);
      }
    }
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Accepted {
  documents: { id: string; status: string; duplicateOf?: string; file?: string; externalId?: string }[];
}
interface Screening {
  status: 'queued' | 'running' | 'completed' | 'failed';
  failureReason?: string;
  total?: number;
  results: { rank: number; documentId: string; file?: string; final: number }[];
  failed?: { documentId: string; failureReason: string; file?: string | null }[];
  pendingDocumentIds?: string[];
}

/** Job descriptions sent as text; anything else (PDF, DOCX) is uploaded and its document used. */
const TEXT_EXTENSIONS = new Set(['.txt', '.md', '']);

async function uploadFiles(api: ShortlistApi, kind: string, paths: string[]): Promise<Accepted['documents']> {
  const accepted: Accepted['documents'] = [];
  for (let start = 0; start < paths.length; start += UPLOAD_BATCH) {
    const form = new FormData();
    form.append('kind', kind);
    for (const path of paths.slice(start, start + UPLOAD_BATCH)) {
      // The externalId field comes right before the file it names (README, "The document API").
      form.append('externalId', basename(path));
      form.append('file', await openAsBlob(path), basename(path));
    }
    const answer = await api.request<Accepted>('POST', '/v1/documents', {
      form,
      idempotencyKey: randomUUID(),
    });
    accepted.push(...answer.documents);
  }
  return accepted;
}

export async function screenFolder(options: Options, log: (line: string) => void): Promise<void> {
  const api = new ShortlistApi(options.api, options.key);
  const entries = await readdir(options.resumes, { withFileTypes: true }).catch((error: Error) => {
    throw new ClientError(`--resumes ${options.resumes}: ${error.message}`);
  });
  const files = entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => join(options.resumes, entry.name))
    .sort();
  if (files.length === 0) throw new ClientError(`--resumes ${options.resumes}: no files in it`);
  const jobText = TEXT_EXTENSIONS.has(extname(options.job).toLowerCase())
    ? await readFile(options.job, 'utf8').catch((error: Error) => {
        throw new ClientError(`--job ${options.job}: ${error.message}`);
      })
    : undefined;

  const receiver = new WebhookReceiver();
  const ownUrl = await receiver.listen(options.listen.host, options.listen.port).catch((error: Error) => {
    throw new ClientError(`--listen ${options.listen.host}:${options.listen.port}: ${error.message}`);
  });
  log(`webhook receiver listening on ${ownUrl}`);
  let webhookId: string | undefined;
  try {
    const webhook = await api.request<{ id: string; secret: string }>('POST', '/v1/webhooks', {
      json: { url: options.url ?? ownUrl, events: SCREENING_EVENTS },
      idempotencyKey: randomUUID(),
    });
    webhookId = webhook.id;
    receiver.useSecret(webhook.secret);
    log(`webhook ${webhook.id} registered for ${SCREENING_EVENTS.join(', ')}`);

    const uploaded = await uploadFiles(api, 'resume', files);
    // A file whose bytes the tenant uploaded before is answered as a duplicate; results name the original.
    const fileOf = new Map<string, string>();
    for (const document of uploaded) {
      const name = document.externalId ?? document.file ?? document.id;
      fileOf.set(document.id, name);
      if (document.duplicateOf && !fileOf.has(document.duplicateOf)) fileOf.set(document.duplicateOf, name);
    }
    log(`uploaded ${uploaded.length} files`);

    const title =
      jobText
        ?.split('\n')
        .map((line) => line.trim())
        .find(Boolean)
        ?.slice(0, 200) ?? basename(options.job);
    const postingSource = jobText
      ? { text: jobText }
      : { documentId: (await uploadFiles(api, 'posting', [options.job]))[0]!.id };
    const posting = await api.request<{ id: string }>('POST', '/v1/postings', {
      json: { title, ...postingSource },
      idempotencyKey: randomUUID(),
    });
    await api.request('POST', `/v1/postings/${posting.id}/applicants`, {
      json: { documentIds: uploaded.map((document) => document.id) },
      idempotencyKey: randomUUID(),
    });
    log(`posting ${posting.id} "${title}" with ${uploaded.length} applicants`);

    // The run waits in the worker for documents still being extracted and embedded: nothing to wait for here.
    const { runId } = await api.request<{ runId: string }>('POST', `/v1/postings/${posting.id}/screenings`, {
      json: { scope: 'applicants' },
      idempotencyKey: randomUUID(),
    });
    log(`screening ${runId} started; waiting for its webhook`);
    const event = await receiver
      .waitFor((e) => e.data.runId === runId, options.timeoutSeconds * 1000)
      .catch(async (error: unknown) => {
        if (!(error instanceof TimeoutError)) throw error;
        const { status } = await api.request<Screening>('GET', `/v1/screenings/${runId}?limit=1`);
        throw new ClientError(
          `no webhook for screening ${runId} within ${options.timeoutSeconds} s (it is ${status}; ` +
            `GET /v1/webhooks/${webhookId}/deliveries shows the attempts)`,
        );
      });
    log(`webhook: ${event.type} for screening ${runId}`);
    if (event.type === 'screening.failed') {
      throw new ClientError(`screening ${runId} failed: ${event.data.failureReason ?? 'no reason given'}`);
    }

    const run = await api.request<Screening>('GET', `/v1/screenings/${runId}?limit=${options.top}`);
    if (run.status !== 'completed') {
      throw new ClientError(`screening ${runId} is ${run.status} although its webhook said completed`);
    }
    const name = (documentId: string, file?: string | null) => fileOf.get(documentId) ?? file ?? documentId;
    console.log(
      `Screening ${runId}: the best ${run.results.length} of ${run.total ?? run.results.length} ranked`,
    );
    const width = Math.max(4, ...run.results.map((r) => name(r.documentId, r.file).length));
    console.log(`${'rank'.padStart(4)}  ${'file'.padEnd(width)}  final`);
    for (const result of run.results) {
      const file = name(result.documentId, result.file);
      console.log(
        `${String(result.rank).padStart(4)}  ${file.padEnd(width)}  ${result.final.toFixed(2).padStart(6)}`,
      );
    }
    for (const failed of run.failed ?? []) {
      console.log(`failed   ${name(failed.documentId, failed.file)}: ${failed.failureReason}`);
    }
    for (const pending of run.pendingDocumentIds ?? []) console.log(`pending  ${name(pending)}`);
  } finally {
    await receiver.close();
    if (webhookId) {
      await api.request('DELETE', `/v1/webhooks/${webhookId}`).then(
        () => log(`webhook ${webhookId} removed`),
        (error: Error) => log(`could not remove webhook ${webhookId}: ${error.message}`),
      );
    }
  }
}

async function main(): Promise<void> {
  try {
    await screenFolder(parseOptions(process.argv.slice(2)), (line) => console.error(line));
  } catch (error) {
    const message = error instanceof ClientError ? error.message : String((error as Error)?.message ?? error);
    console.error(`screen-folder: ${message.replace(/\s+/g, ' ')}`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
