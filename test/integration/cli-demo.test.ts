import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NBK_REPOSITORIES } from '@shortlist/embedding';
import { runCliAsync } from '../support/cli';
import { repoFromFolder, startFakeHub, type FakeHub } from '../support/fake-hub';

const TINY = join(__dirname, '..', 'fixtures', 'models', 'tiny');
const layout = {
  'onnx/model.onnx': 'model.onnx',
  'onnx/model_quantized.onnx': 'model_quantized.onnx',
  'tokenizer.json': 'tokenizer.json',
  'config.json': 'config.json',
};

/**
 * `shortlist demo` takes the nbk models from the hub when it answers (the INT8 files, verified, resumable) and
 * falls back to the models at hand, saying why, only when it does not — here a hub that stops sending mid-file.
 * The fake hub serves the tiny models under the nbk repository names.
 */
describe('shortlist demo and the hub', () => {
  let hub: FakeHub;
  let work: string;

  beforeAll(async () => {
    hub = await startFakeHub({
      [NBK_REPOSITORIES.semantic]: repoFromFolder(join(TINY, 'semantic'), layout),
      [NBK_REPOSITORIES.domain]: repoFromFolder(join(TINY, 'domain'), layout),
    });
    work = mkdtempSync(join(tmpdir(), 'shortlist-demo-'));
  });
  afterAll(async () => {
    await hub.close();
    rmSync(work, { recursive: true, force: true });
  });

  const demo = () =>
    runCliAsync(['demo', '--data-dir', join(work, 'data'), '--top', '3'], {
      MODELS_DIR: join(work, 'models'),
      HF_ENDPOINT: hub.endpoint,
      HF_STALL_SECONDS: '1',
      EMBED_PASS_TOKENS: '64',
      EMBED_PASS_OVERLAP: '16',
      DATABASE_URL: '',
    });

  it('falls back, saying why, when the hub stalls mid-download; the next run resumes and uses the nbk files', async () => {
    hub.stallNext.add('onnx/model_quantized.onnx');
    const stalled = await demo();
    expect(stalled.stderr).toContain(`fetching the nbk models (INT8) from ${hub.endpoint}`);
    expect(stalled.stderr).toMatch(
      /the nbk models could not be fetched \(.*download of onnx\/model_quantized\.onnx interrupted at \d+ of \d+ bytes: the hub sent nothing for 1 s.*\); using /,
    );
    expect(stalled.stdout).toMatch(/== account-executive\.txt\n.*: 48 ranked, the best 3 shown/);
    const partial = join(work, 'models', 'semantic', 'onnx', 'model_quantized.onnx.partial');
    expect(existsSync(partial)).toBe(true);

    hub.requests.length = 0;
    const pulled = await demo();
    expect(pulled.stderr).not.toContain('could not be fetched');
    // The stalled file resumed where it stopped; only the INT8 export was fetched, and it is the hub's.
    const resumed = hub.requests.find((r) => r.url.endsWith('/onnx/model_quantized.onnx'));
    expect(resumed?.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(hub.requests.some((r) => r.url.endsWith('/onnx/model.onnx'))).toBe(false);
    for (const role of ['semantic', 'domain']) {
      expect(readFileSync(join(work, 'models', role, 'onnx', 'model_quantized.onnx'))).toEqual(
        readFileSync(join(TINY, role, 'model_quantized.onnx')),
      );
    }
    expect(pulled.stdout).toMatch(/== account-executive\.txt\n.*: 48 ranked, the best 3 shown/);
    // The nbk repositories here hold the tiny random models: the warning about them still shows.
    expect(pulled.stderr).toContain('these are random test models');
    expect(pulled.status).toBe(0);
  }, 300_000);
});
