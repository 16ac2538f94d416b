import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EmbeddingEngine,
  HubUnreachableError,
  ModelPullError,
  NBK_REPOSITORIES,
  pullModel,
} from '@shortlist/embedding';
import { runCliAsync as runCli } from '../support/cli';
import { repoFromFolder, startFakeHub, type FakeHub } from '../support/fake-hub';

const TINY = join(__dirname, '..', 'fixtures', 'models', 'tiny');
const layout = {
  'onnx/model.onnx': 'model.onnx',
  'onnx/model_quantized.onnx': 'model.onnx',
  'tokenizer.json': 'tokenizer.json',
  'config.json': 'config.json',
  'README.md': 'config.json',
};

describe('shortlist models pull, against a local server answering like the hub', () => {
  let hub: FakeHub;
  let dir: string;

  beforeAll(async () => {
    hub = await startFakeHub({
      [NBK_REPOSITORIES.semantic]: repoFromFolder(join(TINY, 'semantic'), layout),
      [NBK_REPOSITORIES.domain]: repoFromFolder(join(TINY, 'domain'), layout),
    });
  });
  afterAll(() => hub.close());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shortlist-pull-'));
    hub.requests.length = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('installs both models in Hugging Face layout, usable at once, and lists them', async () => {
    const pull = await runCli(['models', 'pull', '--models', dir], { HF_ENDPOINT: hub.endpoint });
    expect(pull.status).toBe(0);
    expect(pull.stdout).toBe(`models installed in ${dir}\n`);
    for (const role of ['semantic', 'domain']) {
      expect(await readFile(join(dir, role, 'onnx', 'model.onnx'))).toEqual(
        await readFile(join(TINY, role, 'model.onnx')),
      );
      expect(existsSync(join(dir, role, 'onnx', 'model_quantized.onnx'))).toBe(false);
      expect(existsSync(join(dir, role, 'README.md'))).toBe(false);
    }
    const engine = await EmbeddingEngine.open({ modelsDir: dir });
    await expect(engine.embed('Senior nurse')).resolves.toMatchObject({ passes: 1 });
    await engine.close();

    const list = await runCli(['models', 'list', '--models', dir]);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(
      /^semantic\tshortlist\/random-tiny-semantic\t.*onnx\/model\.onnx\t.*\t32-D\t8192 tokens\tno fused copy \(tools\/fuse_model\.py makes one\)$/m,
    );

    const none = await runCli(['models', 'list', '--models', join(dir, 'none')]);
    expect(none.status).toBe(69);
    expect(none.stdout).toMatch(
      /^semantic\tnot installed: models directory .*none has no semantic\/ folder/m,
    );
    expect(none.stderr).toBe(
      `shortlist: install them in ${join(dir, 'none')} with \`shortlist models pull --models ${join(dir, 'none')}\`, ` +
        'or copy the model folders there\n',
    );

    const again = await runCli(['models', 'pull', '--models', dir], { HF_ENDPOINT: hub.endpoint });
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('onnx/model.onnx 0.1 MB (already installed)');
    expect(hub.requests.filter((r) => r.url.includes('/resolve/'))).toHaveLength(6);
  });

  it('takes the INT8 export with --quantized', async () => {
    const files = await pullModel('semantic', NBK_REPOSITORIES.semantic, dir, {
      endpoint: hub.endpoint,
      quantized: true,
    });
    expect(files.map((f) => f.path)).toEqual(['onnx/model_quantized.onnx', 'tokenizer.json', 'config.json']);
  });

  it('resumes an interrupted download where it stopped', async () => {
    hub.cutNext.add('onnx/model.onnx');
    const options = { endpoint: hub.endpoint };
    await expect(pullModel('domain', NBK_REPOSITORIES.domain, dir, options)).rejects.toThrow(
      /download of onnx\/model\.onnx interrupted at \d+ of \d+ bytes.*run the pull again to resume/,
    );
    expect(existsSync(join(dir, 'domain', 'onnx', 'model.onnx.partial'))).toBe(true);
    await pullModel('domain', NBK_REPOSITORIES.domain, dir, options);
    const resumed = hub.requests.filter((r) => r.url.endsWith('/onnx/model.onnx')).at(-1)!;
    expect(resumed.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(await readFile(join(dir, 'domain', 'onnx', 'model.onnx'))).toEqual(
      await readFile(join(TINY, 'domain', 'model.onnx')),
    );
  });

  it('refuses a file whose hash differs from the listing and keeps nothing of it', async () => {
    hub.corrupt.add('onnx/model.onnx');
    try {
      await expect(
        pullModel('semantic', NBK_REPOSITORIES.semantic, dir, { endpoint: hub.endpoint }),
      ).rejects.toThrow(
        new ModelPullError(
          `${NBK_REPOSITORIES.semantic}/onnx/model.onnx does not match the size or hash the hub lists; removed, run the pull again`,
        ),
      );
      expect(existsSync(join(dir, 'semantic', 'onnx', 'model.onnx'))).toBe(false);
      expect(existsSync(join(dir, 'semantic', 'onnx', 'model.onnx.partial'))).toBe(false);
    } finally {
      hub.corrupt.clear();
    }
  });

  it('says exactly what to do when the hub cannot be reached', async () => {
    const closed = await startFakeHub({});
    await closed.close();
    await expect(
      pullModel('semantic', NBK_REPOSITORIES.semantic, dir, { endpoint: closed.endpoint }),
    ).rejects.toThrow(HubUnreachableError);
    const cli = await runCli(['models', 'pull', '--models', dir], { HF_ENDPOINT: closed.endpoint });
    expect(cli.status).toBe(69);
    expect(cli.stderr).toBe(
      `shortlist: cannot reach the Hugging Face hub at ${closed.endpoint} (ECONNREFUSED): copy the model folders into ` +
        `${join(dir, 'semantic')} and ${join(dir, 'domain')} yourself, or use the bundled tiny test models ` +
        '(test/fixtures/models/tiny; random weights)\n',
    );
  });
});
