import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const validate = (args: string[] = []) =>
  spawnSync(process.execPath, [join(root, 'infra', 'validate-deploy.mjs'), ...args], { encoding: 'utf8' });

describe('deployment files (offline checks)', () => {
  let work: string;
  beforeAll(() => (work = mkdtempSync(join(tmpdir(), 'shortlist-deploy-'))));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('docker-compose.yml and every kustomization are valid against their schemas and our rules', () => {
    const result = validate();
    expect(result.stderr).not.toMatch(/invalid:/);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/overlays\/production: 13 resources checked/);
  });

  it('catches a schema error, a worker pool without autoscaling and a second nightly owner', () => {
    const k8s = join(work, 'k8s');
    cpSync(join(root, 'infra', 'k8s'), k8s, { recursive: true });
    const gpu = join(k8s, 'base', 'worker-gpu.yaml');
    writeFileSync(
      gpu,
      readFileSync(gpu, 'utf8')
        .replace('replicas: 0', "replicas: 'none'")
        .replace("value: 'off'", "value: '0 3 * * *'")
        .replace('query: sum(shortlist_queue_backlog{queue="embed"})', 'query: redis_list_length'),
    );
    const result = validate([join(k8s, 'base')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Deployment\/shortlist-worker-gpu: .*replicas must be integer/);
    expect(result.stderr).toMatch(/ScaledObject\/shortlist-worker-gpu must scale on shortlist_queue_backlog/);
    expect(result.stderr).toMatch(/exactly one worker pool should own the nightly schedule .* found 2/);
  });

  it('catches a compose file that breaks the Compose specification or floats an image', () => {
    const compose = join(work, 'compose.yml');
    writeFileSync(
      compose,
      readFileSync(join(root, 'docker-compose.yml'), 'utf8')
        .replace("restart: 'no'", 'restart: [no]')
        .replace('image: redis:7-alpine', 'image: redis')
        .replace(/image: quay\.io\/minio\/minio:\S+/, 'image: quay.io/minio/minio:latest'),
    );
    const result = validate(['--compose', compose, join(root, 'infra', 'k8s', 'base')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/compose\.yml: \/services\/minio-init\/restart must be string/);
    expect(result.stderr).toMatch(/service redis image redis has no fixed version/);
    expect(result.stderr).toMatch(/service minio image quay\.io\/minio\/minio:latest has no fixed version/);
  });
});
