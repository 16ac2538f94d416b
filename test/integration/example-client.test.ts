import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelRepository } from '@shortlist/db';
import { verify } from '@shortlist/webhooks';
import { verifySignature } from '../../examples/screen-folder';
import { sign } from '../../libs/webhooks/src/signature';
import { ok } from '../support/api-client/client';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { waitFor } from '../support/net';

const root = join(__dirname, '..', '..');
const script = join(root, 'examples', 'screen-folder.ts');
/** Plain text, PDF and DOCX resumes of the demo corpus. */
const RESUMES = [
  '01-dana-varga.txt',
  '03-uma-lindqvist.pdf',
  '06-noor-schmidt.docx',
  '07-grace-osei.txt',
  '13-amara-okafor.txt',
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The example as a user runs it (`node --import tsx examples/screen-folder.ts ...`), a child process of its own;
 * `onStderr` sees its progress lines as they come.
 */
function runExample(args: string[], onStderr: (line: string) => void = () => {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      lines.forEach(onStderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('examples/screen-folder.ts verifies webhook signatures as the README documents them', () => {
  const secret = 'whsec_0123456789abcdef';
  const body = JSON.stringify({
    events: [{ id: 'evt_1', type: 'screening.completed', data: { runId: 'r' } }],
  });
  const now = 1_800_000_000;

  it("accepts what the API's signer makes", () => {
    const header = sign(secret, body, now);
    expect(verifySignature(secret, body, header, now)).toBe(true);
    expect(verifySignature(secret, body, header, now + 299)).toBe(true);
    expect(verify(secret, body, header, now)).toBe(true);
  });

  it('refuses a wrong secret, a changed body, an old or future timestamp and malformed headers', () => {
    const header = sign(secret, body, now);
    expect(verifySignature('whsec_another', body, header, now)).toBe(false);
    expect(verifySignature(secret, body.replace('"r"', '"s"'), header, now)).toBe(false);
    expect(verifySignature(secret, `${body} `, header, now)).toBe(false);
    expect(verifySignature(secret, body, header, now + 301)).toBe(false);
    expect(verifySignature(secret, body, header, now - 301)).toBe(false);
    // Re-signed for another time with the old MAC: the timestamp is part of what is signed.
    expect(verifySignature(secret, body, header.replace(`t=${now}`, `t=${now + 1}`), now)).toBe(false);
    for (const malformed of [
      undefined,
      '',
      `t=${now}`,
      header.split(',')[1],
      `t=${now},v1=${'0'.repeat(63)}`,
      `t=${now},v1=${'zz'.repeat(32)}`,
      `t=abc,v1=${header.split('v1=')[1]}`,
    ]) {
      expect(verifySignature(secret, body, malformed, now)).toBe(false);
    }
  });
});

describe('examples/screen-folder.ts against the API and a worker (webhook receivers on the loopback allowed)', () => {
  let stack: ApiStack;
  let folder: string;
  /** Every request the API received, as `METHOD url`. */
  const requests: string[] = [];

  beforeAll(async () => {
    stack = await startApiStack({
      webhookAllowlist: ['127.0.0.1'],
      workerEnv: { WEBHOOK_ALLOWLIST: '127.0.0.1', SCREENING_WAIT_SECONDS: '120' },
    });
    stack.app.server.on('request', (request: IncomingMessage) =>
      requests.push(`${request.method} ${request.url}`),
    );
    // As a user would, start the worker before the client: a screening needs the models it registers (else 409).
    const models = new ModelRepository(stack.database.db);
    await waitFor('the worker to register its models', async () =>
      Boolean((await models.findActive('semantic')) && (await models.findActive('domain'))),
    );
    folder = mkdtempSync(join(tmpdir(), 'screen-folder-'));
    for (const file of RESUMES) copyFileSync(join(root, 'demo', 'resumes', file), join(folder, file));
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('uploads the folder, screens it, is told by a signed webhook and prints the ranking', async () => {
    let receiverUrl: string | undefined;
    let forged: Promise<number> | undefined;
    const run = await runExample(
      [
        '--api',
        stack.base,
        '--key',
        stack.keys.acme,
        '--job',
        join(root, 'demo', 'postings', 'data-engineer.txt'),
        '--resumes',
        folder,
        '--listen',
        '127.0.0.1:0',
      ],
      (line) => {
        receiverUrl ??= /^webhook receiver listening on (\S+)$/.exec(line)?.[1];
        const runId = /^screening (\S+) started/.exec(line)?.[1];
        if (!runId || !receiverUrl) return;
        // A forged "completed" for the run, signed with a secret that is not the endpoint's: refused, and the
        // script keeps waiting for the real one (had it believed this, it would read a run still in progress).
        const body = JSON.stringify({
          events: [
            {
              id: 'evt_forged',
              type: 'screening.completed',
              createdAt: new Date().toISOString(),
              data: { runId, status: 'completed' },
            },
          ],
        });
        const t = Math.floor(Date.now() / 1000);
        const mac = createHmac('sha256', 'whsec_forged').update(`${t}.${body}`).digest('hex');
        forged = fetch(receiverUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'shortlist-signature': `t=${t},v1=${mac}` },
          body,
        }).then((response) => response.status);
      },
    );
    expect(run.stderr).not.toMatch(/^screen-folder: /m);
    expect(run.code).toBe(0);
    expect(await forged).toBe(401);
    expect(run.stderr).toContain('refused a webhook delivery with a bad signature');

    const runId = /^screening (\S+) started/m.exec(run.stderr)![1]!;
    // No polling: the script read the run once, after its webhook came.
    expect(requests.filter((r) => r.startsWith(`GET /v1/screenings/${runId}`))).toEqual([
      `GET /v1/screenings/${runId}?limit=10`,
    ]);
    expect(run.stderr).toContain(`webhook: screening.completed for screening ${runId}`);
    // The ranking names every uploaded file once, ranked 1..n, with its final score.
    const rows = [...run.stdout.matchAll(/^\s*(\d+)\s+(\S+)\s+(\d+\.\d\d)$/gm)].map((m) => ({
      rank: Number(m[1]),
      file: m[2]!,
      final: Number(m[3]),
    }));
    expect(rows.map((r) => r.file).sort()).toEqual([...RESUMES].sort());
    expect(rows.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(rows.map((r) => r.final)).toEqual(rows.map((r) => r.final).sort((a, b) => b - a));

    // What the API holds: the run completed with the five uploads (each stored with its file name as
    // externalId) as its results, in the order printed.
    const acme = stack.client(stack.keys.acme);
    const screening = await ok(acme.GET('/v1/screenings/{runId}', { params: { path: { runId } } }));
    expect(screening.status).toBe('completed');
    expect(screening.total).toBe(RESUMES.length);
    const { documents } = await ok(acme.GET('/v1/documents', { params: { query: { kind: 'resume' } } }));
    const fileOf = new Map(documents.map((d) => [d.id, d.externalId]));
    expect(screening.results.map((r) => fileOf.get(r.documentId))).toEqual(rows.map((r) => r.file));
    // The webhook was registered for the run's events and removed at the end.
    expect((await ok(acme.GET('/v1/webhooks'))).webhooks).toEqual([]);
    expect(requests).toContainEqual(`DELETE /v1/webhooks/${/webhook (\S+) registered/.exec(run.stderr)![1]}`);
  }, 180_000);

  it("fails with one line naming the API's refusal: a wrong key, a receiver the allow-list refuses", async () => {
    const common = ['--api', stack.base, '--job', join(root, 'demo', 'postings', 'icu-nurse.txt')];
    const wrongKey = await runExample([...common, '--key', 'sk_wrong', '--resumes', folder]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/^screen-folder: POST \/v1\/webhooks: 401 \w+: .+$/m);

    const refused = await runExample([
      ...common,
      '--key',
      stack.keys.acme,
      '--resumes',
      folder,
      '--url',
      'http://10.0.0.5/hook',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^screen-folder: POST \/v1\/webhooks: 400 invalid_request: url address 10\.0\.0\.5 is not in WEBHOOK_ALLOWLIST$/m,
    );
    expect(refused.stdout).toBe('');

    const empty = mkdtempSync(join(tmpdir(), 'screen-folder-empty-'));
    try {
      const none = await runExample([...common, '--key', stack.keys.acme, '--resumes', empty]);
      expect(none.code).toBe(1);
      expect(none.stderr.trim()).toBe(`screen-folder: --resumes ${empty}: no files in it`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);
});
