import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server that answers like the Hugging Face hub for what `models pull` uses: the tree API
 * (`/api/models/<repo>/tree/<rev>?recursive=true`) and file downloads (`/<repo>/resolve/<rev>/<path>`, with
 * HTTP ranges). Large files (.onnx) are listed as LFS files with their sha256, others with git's blob sha1.
 */
export interface FakeRepo {
  [path: string]: Buffer;
}

export interface FakeHub {
  endpoint: string;
  requests: { url: string; range: string | undefined }[];
  /** Paths whose next download is cut after half the bytes (an interrupted transfer). */
  cutNext: Set<string>;
  /** Paths served with altered bytes (a corrupted transfer). */
  corrupt: Set<string>;
  /** Paths whose next download sends half the bytes, then nothing more while holding the connection open. */
  stallNext: Set<string>;
  close(): Promise<void>;
}

function treeEntry(path: string, content: Buffer) {
  const lfs = path.endsWith('.onnx');
  const sha1 = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
  return {
    type: 'file',
    path,
    size: lfs ? 134 : content.length,
    oid: sha1,
    ...(lfs
      ? {
          lfs: {
            oid: createHash('sha256').update(content).digest('hex'),
            size: content.length,
            pointerSize: 134,
          },
        }
      : {}),
  };
}

export function repoFromFolder(folder: string, layout: Record<string, string>): FakeRepo {
  return Object.fromEntries(
    Object.entries(layout).map(([path, file]) => [path, readFileSync(`${folder}/${file}`)]),
  );
}

export async function startFakeHub(repos: Record<string, FakeRepo>): Promise<FakeHub> {
  const requests: FakeHub['requests'] = [];
  const cutNext = new Set<string>();
  const corrupt = new Set<string>();
  const stallNext = new Set<string>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url!, 'http://hub');
    requests.push({ url: url.pathname, range: req.headers.range });
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/[^/]+$/.exec(url.pathname);
    if (tree) {
      const repo = repos[tree[1]!];
      if (!repo) return void res.writeHead(404).end('{"error":"Repository not found"}');
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify(Object.entries(repo).map(([path, content]) => treeEntry(path, content))),
      );
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(url.pathname);
    const content = resolve ? repos[resolve[1]!]?.[resolve[2]!] : undefined;
    if (!resolve || !content) return void res.writeHead(404).end('Entry not found');
    const path = resolve[2]!;
    let body = corrupt.has(path) ? Buffer.from(content).fill(7, 0, 16) : content;
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    // A cut transfer: half the promised bytes, then the connection closes, so the client sees a short body.
    const cut = cutNext.delete(path);
    const headers = { 'content-length': body.length - start, ...(cut ? { connection: 'close' } : {}) };
    if (start > 0) {
      body = body.subarray(start);
      res.writeHead(206, {
        ...headers,
        'content-range': `bytes ${start}-${content.length - 1}/${content.length}`,
      });
    } else {
      res.writeHead(200, headers);
    }
    if (cut) return void res.end(body.subarray(0, Math.floor(body.length / 2)));
    if (stallNext.delete(path)) return void res.write(body.subarray(0, Math.floor(body.length / 2)));
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    cutNext,
    corrupt,
    stallNext,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections(); // a stalled download's connection is still open
      }),
  };
}
