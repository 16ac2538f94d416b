import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, Worker } from 'node:worker_threads';
import { coerceError } from '@shortlist/config';
import { ModelLoadError } from './errors';

/**
 * A worker thread that serves requests one at a time (the inference thread, the tokenizer thread), and its
 * owner's side: requests by id, a thread that dies after it loaded is replaced and the requests it held are sent
 * again (each up to MAX_ATTEMPTS times), a thread that dies while loading fails its start.
 */

/** How often one request is sent to a fresh thread after the thread died under it. */
const MAX_ATTEMPTS = 3;
/** The message that asks a service thread to exit once the request in hand is done. */
const CLOSE = 'close';
/** How long a closing thread may take to finish its request before it is terminated. */
const CLOSE_GRACE_MS = 60_000;

/** What a service thread sends its owner. */
type ServiceMessage<Ready, Result> =
  | { type: 'ready'; info: Ready }
  | { type: 'init-error'; kind: 'provider' | 'model'; message: string }
  | { type: 'result'; id: number; result: Result }
  | { type: 'error'; id: number; message: string };

interface RequestMessage<Request> {
  id: number;
  request: Request;
}

interface Pending<Request, Result> {
  message: RequestMessage<Request>;
  attempts: number;
  /** The thread this request was last sent to: sent once per thread. */
  sentTo?: Worker;
  resolve: (result: Result) => void;
  reject: (error: Error) => void;
}

export interface ServiceThreadOptions<Init> {
  /** File name of the thread's script beside this one, without extension (`inference-thread`). */
  script: string;
  /** What the thread is, for error messages (`inference`, `tokenizer`). */
  name: string;
  init: Init;
  /** The error a failed load becomes (e.g. the provider's hint). */
  initError: (kind: 'provider' | 'model', message: string) => Error;
}

/** The thread's script: the bundle's sibling file in dist/, or the TypeScript source (tests, through tsx). */
function spawnThread(script: string, init: unknown): Worker {
  const bundled = join(__dirname, `${script}.js`);
  if (existsSync(bundled)) return new Worker(bundled, { workerData: { init } });
  const source = join(__dirname, `${script}.ts`);
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(source)});`, {
    eval: true,
    workerData: { init },
  });
}

export class ServiceThread<Init, Ready, Request, Result> {
  private thread!: Worker;
  private ready!: Promise<void>;
  private readonly pending = new Map<number, Pending<Request, Result>>();
  private nextId = 1;
  private closing = false;
  /** Times the thread was replaced after dying. */
  restarts = 0;
  /** What the thread reported when it had loaded. */
  info!: Ready;

  private constructor(private readonly options: ServiceThreadOptions<Init>) {}

  static async start<Init, Ready, Request, Result>(
    options: ServiceThreadOptions<Init>,
  ): Promise<ServiceThread<Init, Ready, Request, Result>> {
    const service = new ServiceThread<Init, Ready, Request, Result>(options);
    service.spawn();
    await service.ready;
    return service;
  }

  /** The live thread, e.g. to watch its resources; it changes after a restart. */
  get currentThread(): Worker {
    return this.thread;
  }

  private spawn(): void {
    const thread = spawnThread(this.options.script, this.options.init);
    this.thread = thread;
    let threadReady = false;
    this.ready = new Promise<void>((resolve, reject) => {
      thread.on('message', (message: ServiceMessage<Ready, Result>) => {
        switch (message.type) {
          case 'ready':
            threadReady = true;
            this.info = message.info;
            resolve();
            for (const p of this.pending.values()) this.post(p);
            break;
          case 'init-error':
            reject(this.options.initError(message.kind, message.message));
            break;
          case 'result':
          case 'error': {
            const p = this.pending.get(message.id);
            if (!p) break;
            this.pending.delete(message.id);
            if (message.type === 'result') p.resolve(message.result);
            else p.reject(new Error(`${this.options.name} failed: ${message.message}`));
            break;
          }
        }
      });
      thread.on('error', () => undefined); // the exit handler below decides
      thread.on('exit', (code) => {
        if (this.closing || thread !== this.thread) return;
        if (!threadReady) {
          // It never loaded: restarting would fail the same way.
          const error = new ModelLoadError(
            `${this.options.name} thread exited with code ${code} while loading`,
          );
          reject(error);
          for (const p of this.pending.values()) p.reject(error);
          this.pending.clear();
          return;
        }
        this.restartAfterCrash();
      });
    });
    // Nobody may be waiting on a restart's readiness; failures surface through the pending requests.
    this.ready.catch(() => undefined);
  }

  private restartAfterCrash(): void {
    for (const [id, p] of this.pending) {
      p.attempts += 1;
      if (p.attempts >= MAX_ATTEMPTS) {
        this.pending.delete(id);
        p.reject(
          new Error(`${this.options.name} thread died ${p.attempts} times while serving this request`),
        );
      }
    }
    this.restarts += 1;
    this.spawn();
  }

  private post(p: Pending<Request, Result>): void {
    if (p.sentTo === this.thread) return;
    p.sentTo = this.thread;
    // Structured clone: the original stays here for a retry on a new thread.
    this.thread.postMessage(p.message);
  }

  request(request: Request): Promise<Result> {
    const message = { id: this.nextId++, request };
    return new Promise((resolve, reject) => {
      if (this.closing) return reject(new Error(`${this.options.name} thread closed`));
      const pending: Pending<Request, Result> = { message, attempts: 0, resolve, reject };
      this.pending.set(message.id, pending);
      void this.ready.then(() => {
        if (this.pending.has(message.id)) this.post(pending);
      });
    });
  }

  /**
   * Fails what is pending and lets the thread finish the request it is running, then exit: terminating a thread
   * inside a native call (ONNX Runtime's run) aborts the whole process. Terminated after CLOSE_GRACE_MS anyway.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const p of this.pending.values()) p.reject(new Error(`${this.options.name} thread closed`));
    this.pending.clear();
    const thread = this.thread;
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
    thread.postMessage(CLOSE);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>(
      (resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_GRACE_MS)),
    );
    if ((await Promise.race([exited, late])) === 'late') await thread.terminate();
    clearTimeout(timer);
  }
}

export interface Service<Ready, Request, Result> {
  info: Ready;
  /** Serves one request; `transfer` lists buffers moved (not copied) to the owner. */
  handle(request: Request): Promise<{ result: Result; transfer?: ArrayBuffer[] }>;
}

/**
 * The thread's side: loads its service, says ready (or why not), then serves requests one at a time, in order.
 * A load error may carry `kind: 'provider'` (the execution provider cannot start); anything else is the model's.
 */
export function serveRequests<Init, Ready, Request, Result>(
  load: (init: Init) => Promise<Service<Ready, Request, Result>>,
  init: Init,
): void {
  const port = parentPort!;
  const send = (message: ServiceMessage<Ready, Result>, transfer: ArrayBuffer[] = []) =>
    port.postMessage(message, transfer);
  load(init).then(
    (service) => {
      send({ type: 'ready', info: service.info });
      let queue = Promise.resolve();
      let closing = false;
      port.on('message', (message: RequestMessage<Request> | typeof CLOSE) => {
        if (message === CLOSE) {
          // Requests queued behind the one in hand were already failed by the owner; skip them, then let go.
          closing = true;
          queue = queue.then(() => port.close());
          return;
        }
        const { id, request } = message;
        queue = queue.then(() =>
          closing
            ? undefined
            : service.handle(request).then(
                ({ result, transfer }) => send({ type: 'result', id, result }, transfer),
                (error: unknown) => send({ type: 'error', id, message: coerceError(error).message }),
              ),
        );
      });
    },
    (error: unknown) => {
      const kind = (error as { kind?: 'provider' | 'model' } | undefined)?.kind ?? 'model';
      send({ type: 'init-error', kind, message: coerceError(error).message });
    },
  );
}
