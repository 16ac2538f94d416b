#!/usr/bin/env node
// `npm run check:images`: builds the Dockerfile's api, worker and cli images and runs them against the real local
// services (infra/local/services.sh), the way docker-compose.yml wires them: the cli image migrates a fresh
// database and issues a key, the api image accepts a text resume, a PDF resume and a posting, the worker image
// (the tiny test models mounted at /models) extracts and embeds them, a screening run ranks the applicants, and
// SIGTERM stops the worker cleanly. It also checks what every image must be: non-root, no dev dependencies,
// ONNX Runtime binaries for this platform only. Needs a Docker engine; where Docker Hub is out of reach, build the
// base image first with infra/docker/base-image-offline.sh. Exit 0: all held; 1: a check failed (named); 69: no
// Docker engine.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tag = `shortlist-smoke-${process.pid}`;
const logs = join(root, '.shortlist', 'smoke');
const containers = [];

class CheckFailed extends Error {}

function step(message) {
  process.stdout.write(`[check:images] ${message}\n`);
}

function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

function docker(args, options = {}) {
  const result = spawnSync('docker', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last !== undefined) return last;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new CheckFailed(`${what}: not within ${timeoutMs / 1000} s (last: ${JSON.stringify(last)})`);
}

function servicesEnvironment() {
  const out = execFileSync('bash', [join(root, 'infra', 'local', 'services.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return Object.fromEntries(
    [...out.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)].map(([, name, value]) => [name, value]),
  );
}

function build(target) {
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
function inside(image, script) {
  return docker(['run', '--rm', '--entrypoint', 'sh', image, '-c', script]);
}

function envArgs(env) {
  return Object.entries(env).flatMap(([name, value]) => ['--env', `${name}=${value}`]);
}

async function http(base, path, key, init = {}) {
  const response = await fetch(`${base}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${key}`,
      ...(typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}),
    },
  });
  const body = response.headers.get('content-type')?.includes('json')
    ? await response.json()
    : await response.text();
  return { status: response.status, body };
}

async function main() {
  if (docker(['info', '--format', '{{.ServerVersion}}']).code !== 0) {
    process.stderr.write(
      'check:images: no Docker engine answers (docker info); start one, then run this again\n',
    );
    return 69;
  }
  mkdirSync(logs, { recursive: true });
  const services = servicesEnvironment();
  const database = `shortlist_smoke_${process.pid}`;
  const admin = new pg.Client({ connectionString: services.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  try {
    const images = {};
    for (const target of ['cli', 'api', 'worker']) {
      step(`docker build --target ${target}`);
      images[target] = build(target);
    }

    for (const [target, image] of Object.entries(images)) {
      const uid = inside(image, 'id -u').stdout;
      check(uid !== '' && uid !== '0', `${target} image runs as root (uid ${uid})`);
      const devDependency = inside(image, 'test -e node_modules/jest || test -e node_modules/eslint');
      check(devDependency.code === 1, `${target} image holds dev dependencies (jest or eslint)`);
      const platforms = inside(image, 'ls -d node_modules/onnxruntime-node/bin/napi-v*/*/*').stdout.split(
        '\n',
      );
      check(
        platforms.length === 1 && /\/linux\/(x64|arm64)$/.test(platforms[0]),
        `${target} image holds ONNX Runtime binaries for other platforms: ${platforms.join(', ')}`,
      );
      const size = docker(['image', 'inspect', '--format', '{{.Size}}', image]).stdout;
      step(`${target}: uid ${uid}, production dependencies only, ${(Number(size) / 2 ** 20).toFixed(0)} MiB`);
    }

    const env = {
      ...services,
      DATABASE_URL: services.DATABASE_URL.replace(/\/[^/]*$/, `/${database}`),
      REDIS_PREFIX: tag,
      S3_BUCKET: tag, // created by the API at its start, removed at the end
      LOG_LEVEL: 'warn',
    };
    const cli = (...args) =>
      docker(['run', '--rm', '--network', 'host', ...envArgs(env), images.cli, ...args]);
    const migrated = cli('migrate');
    check(migrated.code === 0, `cli migrate failed: ${migrated.stderr}`);
    const issued = cli('keys', 'create', '--tenant', 'smoke');
    check(issued.code === 0, `cli keys create failed: ${issued.stderr}`);
    const key = issued.stdout.split('\n').at(-1);
    step('cli image: migrated a fresh database, issued a key');

    const apiPort = await freePort();
    const healthPort = await freePort();
    const run = (name, image, extra) => {
      const started = docker([
        'run',
        '--detach',
        '--name',
        name,
        '--network',
        'host',
        ...envArgs(env),
        ...extra,
        image,
      ]);
      check(started.code === 0, `docker run ${name} failed: ${started.stderr}`);
      containers.push(name);
    };
    run(`${tag}-api`, images.api, ['--env', `PORT=${apiPort}`]);
    const api = `http://127.0.0.1:${apiPort}`;
    await waitFor('api /readyz', async () => ((await fetch(`${api}/readyz`)).ok ? true : undefined), 60_000);
    run(`${tag}-worker`, images.worker, [
      '--env',
      `WORKER_HEALTH_PORT=${healthPort}`,
      '--volume',
      `${join(root, 'test', 'fixtures', 'models', 'tiny')}:/models:ro`,
    ]);
    await waitFor(
      'worker /healthz',
      async () => ((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).ok ? true : undefined),
      60_000,
    );
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
    const form = new FormData();
    form.set('kind', 'resume');
    const pdf = readdirSync(join(root, 'demo', 'resumes')).find((name) => name.endsWith('.pdf'));
    const bytes = readFileSync(join(root, 'demo', 'resumes', pdf));
    form.append('file', new Blob([bytes], { type: 'application/pdf' }), pdf);
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
    const resumes = [text.body.documents[0].id, upload.body.documents[0].id];
    for (const id of [...resumes, posting.body.documentId]) {
      await waitFor(
        `document ${id} ready`,
        async () => {
          const { body } = await http(api, `/v1/documents/${id}`, key);
          check(body.status !== 'failed', `document ${id} failed: ${body.failureReason}`);
          return body.status === 'ready' ? true : undefined;
        },
        120_000,
      );
    }
    step(
      'worker image: a text resume, a PDF resume (extracted in its child process) and a posting are ready',
    );

    const added = await http(api, `/v1/postings/${posting.body.id}/applicants`, key, {
      method: 'POST',
      body: JSON.stringify({ documentIds: resumes }),
    });
    check(added.status === 200, `POST applicants answered ${added.status}: ${JSON.stringify(added.body)}`);
    const screening = await http(api, `/v1/postings/${posting.body.id}/screenings`, key, {
      method: 'POST',
      body: JSON.stringify({ scope: 'applicants' }),
    });
    check(
      screening.status === 202,
      `POST screenings answered ${screening.status}: ${JSON.stringify(screening.body)}`,
    );
    const results = await waitFor(
      'screening completed',
      async () => {
        const { body } = await http(api, `/v1/screenings/${screening.body.runId}`, key);
        check(body.status !== 'failed', `screening failed: ${JSON.stringify(body)}`);
        return body.status === 'completed' ? body.results : undefined;
      },
      60_000,
    );
    check(results.length === 2, `screening ranked ${results.length} of 2 applicants`);
    step(`screening run ranked both applicants (top final score ${results[0].final.toFixed(1)})`);

    const stopped = docker(['stop', '--time', '60', `${tag}-worker`]);
    const exit = docker(['inspect', '--format', '{{.State.ExitCode}}', `${tag}-worker`]).stdout;
    check(stopped.code === 0 && exit === '0', `worker did not exit 0 on SIGTERM (exit ${exit})`);
    step('worker image: SIGTERM drained and exited 0');
    step('all checks held');
    return 0;
  } finally {
    for (const name of containers) {
      const log = docker(['logs', name]);
      writeFileSync(join(logs, `${name.slice(tag.length + 1)}.log`), `${log.stdout}\n${log.stderr}\n`);
      docker(['rm', '--force', name]);
    }
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    await removeBucket(services, tag);
  }
}

async function removeBucket(services, bucket) {
  const s3 = new S3Client({
    endpoint: services.S3_ENDPOINT,
    region: services.S3_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: services.S3_ACCESS_KEY_ID, secretAccessKey: services.S3_SECRET_ACCESS_KEY },
  });
  try {
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    for (const { Key } of Contents) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (error?.name !== 'NoSuchBucket') throw error;
  } finally {
    s3.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(
      `check:images: ${error instanceof CheckFailed ? error.message : (error?.stack ?? String(error))}\n` +
        `(container logs: .shortlist/smoke/)\n`,
    );
    process.exit(1);
  },
);
