/**
 * `npm run check:images`: builds the Dockerfile's api, worker and cli images and runs them against the real local
 * services (infra/local/services.sh), the way docker-compose.yml wires them: the cli image migrates an empty
 * database and issues a key, the api image accepts a text resume, a PDF resume and a posting, the worker image
 * (the tiny test models mounted at /models) extracts and embeds them, a screening run ranks the applicants, and
 * SIGTERM stops the worker cleanly. It also checks what every image must be: non-root, no dev dependencies,
 * ONNX Runtime binaries for this platform only. Needs a Docker engine; where Docker Hub is out of reach, build the
 * base image first with infra/docker/base-image-offline.sh. Exit 0: all held; 1: a check failed (named); 69: no
 * Docker engine. Database, bucket and Redis keys are the test suite's own kind (test/support), removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createTestDatabase } from '../../test/support/database';
import { freePort, waitFor } from '../../test/support/net';
import { deletePrefix, uniquePrefix } from '../../test/support/redis';
import { createTestBucket } from '../../test/support/s3';
import { ensureServices } from '../../test/support/services';

const root = join(__dirname, '..', '..');
const logs = join(root, '.shortlist', 'smoke');
const TARGETS = ['cli', 'api', 'worker'] as const;

class CheckFailed extends Error {}

function step(message: string): void {
  process.stdout.write(`[check:images] ${message}\n`);
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}

function docker(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync('docker', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

function build(target: string): string {
  const image = `shortlist-${target}:checked`; // one tag per target, replaced by each run
  const result = docker(['build', '--target', target, '--tag', image, '.']);
  writeFileSync(join(logs, `build-${target}.log`), `${result.stdout}\n${result.stderr}\n`);
  check(
    result.code === 0,
    `docker build --target ${target} failed (log: .shortlist/smoke/build-${target}.log)`,
  );
  return image;
}

/** The image's own shell, as its user: what a probe or an operator would run inside it. */
function inside(image: string, script: string) {
  return docker(['run', '--rm', '--entrypoint', 'sh', image, '-c', script]);
}

/** Whether a URL answers 200 yet (a container still starting refuses connections). */
const answers = (url: string) =>
  fetch(url).then(
    (r) => r.ok,
    () => false,
  );

/** The fields of the API's answers this check reads (a non-JSON answer comes back as `text`). */
interface Answer {
  documents?: { id: string }[];
  id?: string;
  documentId?: string;
  status?: string;
  failureReason?: string;
  runId?: string;
  results?: { final: number }[];
  text?: string;
}

async function http(base: string, path: string, key: string, init: RequestInit = {}) {
  const response = await fetch(`${base}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${key}`,
      ...(typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}),
    },
  });
  const text = await response.text();
  const body: Answer = text.startsWith('{') ? (JSON.parse(text) as Answer) : { text };
  return { status: response.status, body };
}

/** Every image: not root, production dependencies only, ONNX Runtime for its own platform only. */
function checkImage(target: string, image: string): void {
  const uid = inside(image, 'id -u').stdout;
  check(uid !== '' && uid !== '0', `${target} image runs as root (uid ${uid})`);
  const devDependency = inside(image, 'test -e node_modules/jest || test -e node_modules/eslint');
  check(devDependency.code === 1, `${target} image holds dev dependencies (jest or eslint)`);
  const platforms = inside(image, 'ls -d node_modules/onnxruntime-node/bin/napi-v*/*/*').stdout.split('\n');
  check(
    platforms.length === 1 && /\/linux\/(x64|arm64)$/.test(platforms[0]!),
    `${target} image holds ONNX Runtime binaries for other platforms: ${platforms.join(', ')}`,
  );
  const size = docker(['image', 'inspect', '--format', '{{.Size}}', image]).stdout;
  step(`${target}: uid ${uid}, production dependencies only, ${(Number(size) / 2 ** 20).toFixed(0)} MiB`);
}

async function main(): Promise<number> {
  if (docker(['info', '--format', '{{.ServerVersion}}']).code !== 0) {
    process.stderr.write(
      'check:images: no Docker engine answers (docker info); start one, then run this again\n',
    );
    return 69;
  }
  mkdirSync(logs, { recursive: true });
  await ensureServices();
  const database = await createTestDatabase({ migrated: false }); // the cli image migrates it
  const bucket = await createTestBucket();
  const prefix = uniquePrefix();
  const containers: string[] = [];
  try {
    const images = Object.fromEntries(
      TARGETS.map((target) => (step(`docker build --target ${target}`), [target, build(target)])),
    ) as Record<(typeof TARGETS)[number], string>;
    for (const target of TARGETS) checkImage(target, images[target]);

    const env = Object.entries({
      ...process.env,
      DATABASE_URL: database.url,
      REDIS_PREFIX: prefix,
      S3_BUCKET: bucket.bucket,
      LOG_LEVEL: 'warn',
    })
      .filter(([name]) => /^(DATABASE_|REDIS_|S3_|LOG_LEVEL$)/.test(name))
      .flatMap(([name, value]) => ['--env', `${name}=${value}`]);
    const cli = (...args: string[]) =>
      docker(['run', '--rm', '--network', 'host', ...env, images.cli, ...args]);
    const migrated = cli('migrate');
    check(migrated.code === 0, `cli migrate failed: ${migrated.stderr}`);
    const issued = cli('keys', 'create', '--tenant', 'smoke');
    check(issued.code === 0, `cli keys create failed: ${issued.stderr}`);
    const key = issued.stdout.split('\n').at(-1)!;
    step('cli image: migrated an empty database, issued a key');

    const start = (name: string, image: string, extra: string[]) => {
      const started = docker([
        'run',
        '--detach',
        '--name',
        name,
        '--network',
        'host',
        ...env,
        ...extra,
        image,
      ]);
      check(started.code === 0, `docker run ${name} failed: ${started.stderr}`);
      containers.push(name);
    };
    const apiPort = await freePort();
    const healthPort = await freePort();
    const api = `http://127.0.0.1:${apiPort}`;
    start(`${prefix}-api`, images.api, ['--env', `PORT=${apiPort}`]);
    await waitFor('the api image to answer /readyz', () => answers(`${api}/readyz`), 60_000, 500);
    const models = join(root, 'test', 'fixtures', 'models', 'tiny');
    start(`${prefix}-worker`, images.worker, [
      '--env',
      `WORKER_HEALTH_PORT=${healthPort}`,
      '--volume',
      `${models}:/models:ro`,
    ]);
    const health = `http://127.0.0.1:${healthPort}/healthz`;
    await waitFor('the worker image to answer /healthz', () => answers(health), 60_000, 500);
    step('api and worker images started; /readyz and /healthz answer 200');

    const text = await http(api, '/v1/documents', key, {
      method: 'POST',
      body: JSON.stringify({
        kind: 'resume',
        text: 'Senior data engineer: Spark, Kafka, Airflow and PostgreSQL.',
      }),
    });
    check(
      text.status === 202,
      `POST /v1/documents (text) answered ${text.status}: ${JSON.stringify(text.body)}`,
    );
    const pdf = readdirSync(join(root, 'demo', 'resumes')).find((name) => name.endsWith('.pdf'))!;
    const form = new FormData();
    form.set('kind', 'resume');
    form.append('file', new Blob([readFileSync(join(root, 'demo', 'resumes', pdf))]), pdf);
    const upload = await http(api, '/v1/documents', key, { method: 'POST', body: form });
    check(
      upload.status === 202,
      `POST /v1/documents (PDF) answered ${upload.status}: ${JSON.stringify(upload.body)}`,
    );
    const posting = await http(api, '/v1/postings', key, {
      method: 'POST',
      body: JSON.stringify({
        title: 'Data engineer',
        text: 'We hire a data engineer who knows Spark and Kafka.',
      }),
    });
    check(
      posting.status === 201,
      `POST /v1/postings answered ${posting.status}: ${JSON.stringify(posting.body)}`,
    );
    const resumes = [text.body.documents![0]!.id, upload.body.documents![0]!.id];
    for (const id of [...resumes, posting.body.documentId!]) {
      await waitFor(
        `document ${id} to be ready`,
        async () => {
          const { body } = await http(api, `/v1/documents/${id}`, key);
          check(body.status !== 'failed', `document ${id} failed: ${body.failureReason ?? '?'}`);
          return body.status === 'ready';
        },
        120_000,
        500,
      );
    }
    step(
      'worker image: a text resume, a PDF resume (extracted in its child process) and a posting are ready',
    );

    const added = await http(api, `/v1/postings/${posting.body.id!}/applicants`, key, {
      method: 'POST',
      body: JSON.stringify({ documentIds: resumes }),
    });
    check(added.status === 200, `POST applicants answered ${added.status}: ${JSON.stringify(added.body)}`);
    const screening = await http(api, `/v1/postings/${posting.body.id!}/screenings`, key, {
      method: 'POST',
      body: JSON.stringify({ scope: 'applicants' }),
    });
    check(
      screening.status === 202,
      `POST screenings answered ${screening.status}: ${JSON.stringify(screening.body)}`,
    );
    const results = await waitFor(
      'the screening run to complete',
      async () => {
        const { body } = await http(api, `/v1/screenings/${screening.body.runId!}`, key);
        check(body.status !== 'failed', `screening failed: ${JSON.stringify(body)}`);
        return body.status === 'completed' ? body.results : undefined;
      },
      60_000,
      500,
    );
    check(results.length === 2, `screening ranked ${results.length} of 2 applicants`);
    step(`screening run ranked both applicants (top final score ${results[0]!.final.toFixed(1)})`);

    const stopped = docker(['stop', '--time', '60', `${prefix}-worker`]);
    const exit = docker(['inspect', '--format', '{{.State.ExitCode}}', `${prefix}-worker`]).stdout;
    check(stopped.code === 0 && exit === '0', `worker did not exit 0 on SIGTERM (exit ${exit})`);
    step('worker image: SIGTERM drained and exited 0');
    step('all checks held');
    return 0;
  } finally {
    for (const name of containers) {
      const log = docker(['logs', name]);
      writeFileSync(join(logs, `${name.slice(prefix.length + 1)}.log`), `${log.stdout}\n${log.stderr}\n`);
      docker(['rm', '--force', name]);
    }
    await database.drop();
    await bucket.remove();
    const redis = new Redis(process.env.REDIS_URL!);
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `check:images: ${error instanceof Error ? error.message : String(error)} (container logs: .shortlist/smoke/)\n`,
    );
    process.exit(1);
  },
);
