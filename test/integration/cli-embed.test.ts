import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';
import { cosine } from '../support/vectors';

const MODELS = join(__dirname, '..', 'fixtures', 'models', 'tiny');

interface GoldenDocument {
  id: string;
  text: string;
  tokens: number[];
  semantic: number[];
  domain: number[];
}

describe('shortlist embed', () => {
  let dir: string;
  let golden: { documents: GoldenDocument[] };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shortlist-embed-'));
    golden = JSON.parse(
      await readFile(join(__dirname, '..', 'fixtures', 'golden', 'tiny.json'), 'utf8'),
    ) as typeof golden;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('turns {id, text} lines into {id, tokens, semantic, domain} matching the one-pass reference, in input order', async () => {
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    await writeFile(
      input,
      golden.documents.map((d) => JSON.stringify({ id: d.id, text: d.text })).join('\n') + '\n',
    );
    // Default settings: every document (up to ~4,000 tokens) in one pass, as the model card embeds it.
    const result = runCli(['embed', '--models', MODELS, '--in', input, '--out', output]);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/53 embedded, 0 skipped/);
    const lines = (await readFile(output, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as GoldenDocument);
    expect(lines.map((l) => l.id)).toEqual(golden.documents.map((d) => d.id));
    lines.forEach((line, i) => {
      const reference = golden.documents[i]!;
      expect(line.tokens).toEqual(reference.tokens);
      expect(Math.hypot(...line.semantic)).toBeCloseTo(1, 5);
      expect(cosine(line.semantic, reference.semantic)).toBeGreaterThanOrEqual(0.99999);
      expect(cosine(line.domain, reference.domain)).toBeGreaterThanOrEqual(0.99999);
    });
  });

  it('reports bad lines by number, embeds the rest, and exits 1', async () => {
    const input = join(dir, 'bad.jsonl');
    const output = join(dir, 'bad-out.jsonl');
    await writeFile(
      input,
      [
        JSON.stringify({ id: 'a', text: 'Senior nurse' }),
        '{not json',
        JSON.stringify({ id: 'b', text: '   ' }),
        JSON.stringify({ id: 'c' }),
        JSON.stringify({ id: 'd', text: 'Data engineer' }),
      ].join('\n'),
    );
    const result = runCli(['embed', '--models', MODELS, '--in', input, '--out', output]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('line 2: not valid JSON');
    expect(result.stderr).toContain('line 3 (id b) has no text to embed');
    expect(result.stderr).toContain('line 4 (id c): "text" must be a string');
    expect(result.stderr).toContain('2 embedded, 3 skipped');
    const ids = (await readFile(output, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: string }).id);
    expect(ids).toEqual(['a', 'd']);
  });

  it('says when a model runs unfused although a copy lies beside it, and why', async () => {
    const models = join(dir, 'stale-models');
    await cp(MODELS, models, { recursive: true });
    const sidecar = join(models, 'domain', 'model_fused.json');
    const fields = JSON.parse(await readFile(sidecar, 'utf8')) as Record<string, unknown>;
    await writeFile(sidecar, JSON.stringify({ ...fields, sourceSha256: '0'.repeat(64) }));
    const input = join(dir, 'one.jsonl');
    await writeFile(input, '{"id":"a","text":"Nurse"}\n');
    const result = runCli(['embed', '--models', models, '--in', input, '--out', '-']);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(
      'shortlist embed: the domain model runs unfused: model_fused.onnx was made from another model.onnx (sha256 000000000000',
    );
    expect(result.stderr).not.toContain('the semantic model runs unfused');
    expect(JSON.parse(result.stdout)).toMatchObject({ id: 'a' });
  });

  it('checks its files before any work: one line each, and never writes over its input', async () => {
    const input = join(dir, 'keep.jsonl');
    const lines = '{"id":"a","text":"Nurse"}\n';
    await writeFile(input, lines);
    const cases: [string[], number, string][] = [
      [['--in', input, '--out', input], 64, `--out ${input}: is the input (--in); write it elsewhere`],
      [['--in', join(dir, 'nope.jsonl'), '--out', '-'], 64, `--in ${join(dir, 'nope.jsonl')}: no such file`],
      [['--in', dir, '--out', '-'], 64, `--in ${dir}: is a folder; give a file`],
      [['--in', input, '--out', dir], 73, `--out ${dir}: is a folder; give a file name`],
      [
        ['--in', input, '--out', join(dir, 'missing', 'x.jsonl')],
        73,
        `--out ${join(dir, 'missing', 'x.jsonl')}: no such folder ${join(dir, 'missing')}`,
      ],
    ];
    for (const [args, status, message] of cases) {
      const result = runCli(['embed', '--models', MODELS, ...args]);
      expect({ args, status: result.status, stderr: result.stderr }).toEqual({
        args,
        status,
        stderr: `shortlist: ${message}\n`,
      });
    }
    expect(await readFile(input, 'utf8')).toBe(lines);
  });

  it('names the first 20 lines it skips and counts the rest (a file that is not JSONL at all)', async () => {
    const input = join(dir, 'not-jsonl.txt');
    await writeFile(input, Array.from({ length: 50 }, (_, i) => `plain text ${i}`).join('\n') + '\n');
    const result = runCli(['embed', '--models', MODELS, '--in', input, '--out', '-']);
    expect(result.status).toBe(1);
    const named = result.stderr.split('\n').filter((l) => /: line \d+: not valid JSON$/.test(l));
    expect(named).toHaveLength(20);
    expect(named[0]).toBe('shortlist embed: line 1: not valid JSON');
    expect(result.stderr).toContain('shortlist embed: ... and 30 more line(s) skipped\n');
    expect(result.stderr).toMatch(/shortlist embed: 0 embedded, 50 skipped/);
  });

  it('names a models directory that is not one, with exit code 69', () => {
    const result = runCli(['embed', '--models', join(dir, 'nowhere'), '--in', '-', '--out', '-']);
    expect(result.status).toBe(69);
    expect(result.stderr).toBe(
      `shortlist: models directory ${join(dir, 'nowhere')} has no semantic/ folder (see \`shortlist models pull\`)\n`,
    );
  });
});
