import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifest, locateModel } from './models-dir';

const TINY = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'models', 'tiny');

describe('models directory: the fused copy for the processor that runs the model', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shortlist-fused-'));
    await cp(TINY, dir, { recursive: true });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('picks model_fused.onnx (fp32) for the CPU and model_fused_gpu.onnx (fp16) for a GPU, never as the model itself', async () => {
    const files = await locateModel(dir, 'semantic');
    expect(files.onnxPath).toBe(join(dir, 'semantic', 'model.onnx'));
    expect((await loadManifest(files, 'cpu')).fused).toMatchObject({
      file: join(dir, 'semantic', 'model_fused.onnx'),
      precision: 'fp32',
    });
    const gpu = await loadManifest(files, 'gpu');
    expect(gpu.fused).toMatchObject({
      file: join(dir, 'semantic', 'model_fused_gpu.onnx'),
      precision: 'fp16',
    });
    // The cached manifest is re-derived when the target changes, and reused while it does not.
    expect((await loadManifest(files, 'cpu')).fused?.file).toBe(join(dir, 'semantic', 'model_fused.onnx'));
    expect((await loadManifest(files, 'cpu')).sha256).toBe(gpu.sha256);
  });

  it('runs the model as it is on a GPU when its GPU copy was made from another file', async () => {
    const sidecarPath = join(dir, 'semantic', 'model_fused_gpu.json');
    const sidecar = JSON.parse(await readFile(sidecarPath, 'utf8')) as Record<string, unknown>;
    await writeFile(sidecarPath, JSON.stringify({ ...sidecar, sourceSha256: '0'.repeat(64) }));
    const files = await locateModel(dir, 'semantic');
    const gpu = await loadManifest(files, 'gpu');
    expect(gpu.fused).toBeUndefined();
    expect(gpu.fusedIgnored?.reason).toMatch(
      /^model_fused_gpu\.onnx was made from another model\.onnx \(sha256 000000000000, this one [0-9a-f]{12}\); run tools\/fuse_model\.py on semantic\/ again$/,
    );
    const cpu = await loadManifest(files, 'cpu');
    expect(cpu.fused?.file).toBe(join(dir, 'semantic', 'model_fused.onnx'));
    expect(cpu.fusedIgnored).toBeUndefined();
  });

  it('says why a damaged fused copy, or one without its sidecar, is ignored', async () => {
    const files = await locateModel(dir, 'semantic');
    const fusedPath = join(dir, 'semantic', 'model_fused.onnx');
    await writeFile(fusedPath, Buffer.concat([await readFile(fusedPath), Buffer.from([0])]));
    const damaged = await loadManifest(files, 'cpu');
    expect(damaged.fused).toBeUndefined();
    expect(damaged.fusedIgnored?.reason).toMatch(
      /^model_fused\.onnx is not the file tools\/fuse_model\.py wrote \(sha256 [0-9a-f]{12}, its sidecar says [0-9a-f]{12}\)/,
    );
    await rm(join(dir, 'semantic', 'model_fused.json'));
    expect((await loadManifest(files, 'cpu')).fusedIgnored?.reason).toBe(
      'model_fused.onnx has no model_fused.json beside it; run tools/fuse_model.py on semantic/ again',
    );
    // The cached manifest follows the files: the copy gone, nothing is ignored any more.
    await rm(fusedPath);
    const none = await loadManifest(files, 'cpu');
    expect(none.fused).toBeUndefined();
    expect(none.fusedIgnored).toBeUndefined();
  });

  it('names the model folder, not onnx/, in a Hugging Face layout', async () => {
    const folder = join(dir, 'semantic');
    await mkdir(join(folder, 'onnx'));
    for (const file of ['model.onnx', 'model_fused.onnx', 'model_fused.json'])
      await rename(join(folder, file), join(folder, 'onnx', file));
    const files = await locateModel(dir, 'semantic');
    expect(files.onnxPath).toBe(join(folder, 'onnx', 'model.onnx'));
    expect((await loadManifest(files, 'cpu')).fused?.file).toBe(join(folder, 'onnx', 'model_fused.onnx'));
    await writeFile(join(folder, 'onnx', 'model_fused.json'), '{}');
    expect((await loadManifest(files, 'cpu')).fusedIgnored?.reason).toMatch(
      /^model_fused\.onnx was made from another file .*; run tools\/fuse_model\.py on semantic\/ again$/,
    );
  });
});
