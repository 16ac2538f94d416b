import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { CARD_DOMAINS } from '@shortlist/scoring';
import { runCli, runCliAsync, startCli } from '../support/cli';
import { waitFor } from '../support/net';
import { childProcesses, processExists } from '../support/processes';
import { seededRandom } from '../support/vectors';

const fixtures = join(__dirname, '..', 'fixtures');
const MODELS = join(fixtures, 'models', 'tiny');
const ENV = { EMBED_PASS_TOKENS: '64', EMBED_PASS_OVERLAP: '16', EMBED_THREADS: '1', DATABASE_URL: '' };

const reportSchema = z.object({
  posting: z.object({ file: z.string(), documentId: z.uuid(), title: z.string() }),
  models: z.object({
    semantic: z.object({ id: z.uuid(), name: z.string() }),
    domain: z.object({ id: z.uuid(), name: z.string() }),
  }),
  params: z.object({ threshold: z.number(), boost: z.number(), penalty: z.number(), hardGate: z.boolean() }),
  results: z.array(
    z.object({
      rank: z.number().int().min(1),
      file: z.string(),
      documentId: z.uuid(),
      final: z.number().min(0).max(100),
      unclipped: z.number(),
      semantic: z.number().min(-1).max(1),
      domain: z.number().min(-1).max(1),
      sameDomain: z.boolean(),
      // The resume's domain: the nearest of the card's 13 to its domain vector, and the runner-up.
      domainLabel: z.object({
        label: z.enum(CARD_DOMAINS.map((d) => d.key)),
        similarity: z.number().min(-1).max(1),
        runnerUp: z.object({ label: z.enum(CARD_DOMAINS.map((d) => d.key)), similarity: z.number() }),
      }),
      gate: z.object({
        domain: z.number(),
        threshold: z.number(),
        factor: z.number(),
        clipped: z.boolean(),
        explanation: z.string(),
      }),
      flags: z.array(z.enum(['borderline', 'review'])),
      evidence: z.array(z.object({ text: z.string().min(1), similarity: z.number() })).optional(),
    }),
  ),
  ranked: z.number().int(),
  evidenceTop: z.number().int(),
  audit: z.object({
    candidates: z.number().int(),
    boosted: z.number().int(),
    penalised: z.number().int(),
    removedByGate: z.number().int(),
    borderline: z.number().int(),
    review: z.number().int(),
    reviewCutoff: z.number().nullable(),
  }),
  skipped: z.array(z.object({ file: z.string(), reason: z.string() })),
});

describe('shortlist screen (embedded: PGlite, local files, no services)', () => {
  let work: string;
  let resumes: string;
  let job: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'shortlist-screen-'));
    resumes = join(work, 'resumes');
    mkdirSync(join(resumes, 'nested'), { recursive: true });
    for (const f of ['resume.txt', 'resume.pdf', 'resume.docx', 'resume.html'])
      copyFileSync(join(fixtures, 'docs', f), join(resumes, f));
    for (const f of ['empty.txt', 'random.bin', 'image-only.pdf'])
      copyFileSync(join(fixtures, 'bad', f), join(resumes, 'nested', f));
    copyFileSync(join(fixtures, 'bad', 'latin1.txt'), join(resumes, 'nested', 'latin1.txt'));
    job = join(work, 'job.txt');
    writeFileSync(job, 'Senior data engineer: Kafka, Spark, PostgreSQL and Airflow pipelines.');
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** `screen` arguments for a folder of resumes of its own (the tiny models; the job description unless given). */
  const screenArgs = (folder: string, dataDir: string, extra: string[] = [], jobFile = job) => [
    'screen',
    '--job',
    jobFile,
    '--resumes',
    folder,
    '--models',
    MODELS,
    '--data-dir',
    dataDir,
    ...extra,
  ];

  const screen = (args: string[], dataDir = join(work, 'data')) =>
    runCli(
      ['screen', '--job', job, '--resumes', resumes, '--models', MODELS, '--data-dir', dataDir, ...args],
      ENV,
    );

  it('ranks the readable files, reports the unreadable ones and exits 1 for them', () => {
    const result = screen(['--format', 'json']);
    expect(result.status).toBe(1);
    const report = reportSchema.parse(JSON.parse(result.stdout));
    expect(report.results.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(report.results.map((r) => r.file).sort()).toEqual([
      'nested/latin1.txt',
      'resume.docx',
      'resume.html',
      'resume.pdf',
      'resume.txt',
    ]);
    expect(report.skipped).toEqual([
      { file: 'nested/empty.txt', reason: 'no_text' },
      { file: 'nested/image-only.pdf', reason: 'no_text' },
      { file: 'nested/random.bin', reason: 'unsupported_format' },
    ]);
    expect(result.stderr).toMatch(/3 file\(s\) skipped/);
    expect(result.stderr).toMatch(/random test models/);
    expect(result.stderr).not.toMatch(/runs unfused/);
    // Progress lines count out of the work counted before it started, as the bars do on a terminal.
    const [, extract, embed] = /(\d+) document\(s\) to extract, (\d+) to embed/.exec(result.stderr)!;
    const totals = [...result.stderr.matchAll(/shortlist: (extracted|embedded) \d+\/(\d+)\n/g)];
    expect(totals.length).toBeGreaterThan(0);
    for (const [, stage, total] of totals) expect(total).toBe(stage === 'extracted' ? extract : embed);
  });

  it('does no extraction or inference on an unchanged re-run, and the ranking is the same', () => {
    const first = reportSchema.parse(JSON.parse(screen(['--format', 'json']).stdout));
    const again = screen(['--format', 'json']);
    expect(again.stderr).toMatch(/shortlist: 8 resume file\(s\): 0 read now, 5 reused from .*, 3 skipped\n/);
    expect(again.stderr).toMatch(/shortlist: 0 document\(s\) to extract, 0 to embed\n/);
    expect(reportSchema.parse(JSON.parse(again.stdout)).results).toEqual(first.results);
  });

  it('extracts a file again on the next run when it failed for a reason not its own (a parser time limit)', () => {
    const dataDir = mkdtempSync(join(work, 'timeout-data-'));
    const folder = mkdtempSync(join(work, 'timeout-resumes-'));
    copyFileSync(join(fixtures, 'docs', 'resume.txt'), join(folder, 'resume.txt'));
    copyFileSync(join(fixtures, 'bad', 'hang.pdf'), join(folder, 'hang.pdf'));
    const run = () =>
      runCli(screenArgs(folder, dataDir, ['--format', 'json']), { ...ENV, EXTRACT_TIMEOUT_MS: '1000' });
    for (const extracted of [3, 1]) {
      const result = run();
      const { skipped } = JSON.parse(result.stdout) as { skipped: { file: string; reason: string }[] };
      expect(skipped).toEqual([
        { file: 'hang.pdf', reason: expect.stringMatching(/^extract_(timeout|memory)$/) as string },
      ]);
      // The first run extracts the job and both files; the second hang.pdf again (a time limit is no verdict on it).
      expect(result.stderr).toMatch(new RegExp(`: ${extracted} document\\(s\\) to extract`));
    }
  });

  it('writes CSV and a self-contained HTML report', () => {
    const csv = screen(['--format', 'csv']).stdout.trimEnd().split('\r\n');
    // The columns of the API's export, in the same order.
    expect(csv[0]).toBe(
      'rank,status,file,documentId,final,unclipped,semantic,domain,sameDomain,gateFactor,clipped,flags,' +
        'domainLabel,domainSimilarity,domainRunnerUp,reason,evidence',
    );
    expect(csv).toHaveLength(9);
    expect(csv[1]).toMatch(
      /^1,ranked,[^,]+,[0-9a-f-]{36},\d+\.\d\d,-?\d+\.\d\d,-?\d\.\d{4},-?\d\.\d{4},(true|false),/,
    );
    expect(csv.slice(6)).toEqual([
      ',skipped,nested/empty.txt,,,,,,,,,,,,,no_text,',
      ',skipped,nested/image-only.pdf,,,,,,,,,,,,,no_text,',
      ',skipped,nested/random.bin,,,,,,,,,,,,,unsupported_format,',
    ]);
    const out = join(work, 'report.html');
    expect(screen(['--format', 'html', '--out', out, '--top', '3']).status).toBe(1);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/); // nothing loaded from elsewhere
    expect(
      html.match(/<table id="ranking">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/)![1]!.match(/<tr>/g),
    ).toHaveLength(3);
    expect(html).toMatch(/<svg role="img" aria-label="Distribution of final scores"/);
    expect(html).toMatch(/addEventListener\('click'/);
  });

  it('answers a missing job file, resume folder or models directory with one line', () => {
    expect(runCli(['screen', '--job', join(work, 'nope.txt'), '--resumes', resumes], ENV)).toMatchObject({
      status: 64,
      stderr: expect.stringMatching(/^shortlist: --job .*nope\.txt: no such file\n$/) as string,
    });
    const missing = runCli(
      [
        'screen',
        '--job',
        job,
        '--resumes',
        resumes,
        '--models',
        join(work, 'no-models'),
        '--data-dir',
        join(work, 'd3'),
      ],
      ENV,
    );
    expect(missing.status).toBe(69);
    expect(missing.stderr).toMatch(
      /^shortlist: no models in .*no-models .*shortlist models pull.*test\/fixtures\/models\/tiny/,
    );
    expect(missing.stderr.split('\n')).toHaveLength(2);
  });

  it('checks every argument before any work: one line, exit 64 (or 73 for --out), nothing created', () => {
    const dataDir = join(work, 'never-created');
    // The resumes folder by another path: what --out would overwrite is the same whichever path names it.
    const linked = join(work, 'resumes-by-a-link');
    if (!existsSync(linked)) symlinkSync(resumes, linked);
    const check = (args: string[], base = ['--job', job, '--resumes', resumes]) =>
      runCli(['screen', ...base, '--models', MODELS, '--data-dir', dataDir, ...args], ENV);
    const cases: [string[], number, RegExp, string[]?][] = [
      [['--threshold', '2'], 64, /^shortlist: --threshold 2: Too big: expected number to be <=1\n$/],
      [['--boost', '-1'], 64, /^shortlist: --boost -1: Too small: expected number to be >=0\n$/],
      [['--penalty', 'abc'], 64, /^shortlist: --penalty abc: not a number\n$/],
      [
        ['--out', '/nonexistent/dir/x.csv'],
        73,
        /^shortlist: --out \/nonexistent\/dir\/x\.csv: no such folder \/nonexistent\/dir\n$/,
      ],
      [['--out', work], 73, /^shortlist: --out .*: is a folder; give a file name\n$/],
      [['--out', job], 64, /^shortlist: --out .*job\.txt: is the job description; write it elsewhere\n$/],
      [
        ['--out', join(resumes, 'nested', 'report.html')],
        64,
        /^shortlist: --out .*report\.html: lies in the resumes folder .*resumes, where the next run would read it as a resume; write it elsewhere\n$/,
      ],
      [
        ['--out', join(linked, 'report.csv')],
        64,
        /^shortlist: --out .*resumes-by-a-link\/report\.csv: lies in the resumes folder .*, where the next run would read it as a resume; write it elsewhere\n$/,
      ],
      [
        ['--out', join(resumes, readdirSync(resumes)[0]!)],
        64,
        /^shortlist: --out .*: lies in the resumes folder .*resumes-by-a-link, where the next run/,
        ['--job', job, '--resumes', linked],
      ],
      [['--data-dir', job], 73, /^shortlist: --data-dir .*job\.txt: is a file; give a folder\n$/],
      [
        ['--data-dir', join(job, 'data')],
        73,
        /^shortlist: --data-dir .*job\.txt\/data: cannot be made, .*job\.txt is a file\n$/,
      ],
      [['--threshold', '0x1'], 64, /^shortlist: --threshold 0x1: not a number\n$/],
      [
        ['--top', '10001'],
        64,
        /^shortlist: option '--top <n>' argument '10001' is invalid\. expected an integer from 1 to 10000 \(see --help\)\n$/,
      ],
      [
        ['--evidence', '2147483648'],
        64,
        /^shortlist: option '--evidence <n>' argument '2147483648' is invalid\. expected an integer from 0 to 1000 \(see --help\)\n$/,
      ],
      [['--bogus'], 64, /^shortlist: unknown option '--bogus' \(see --help\)\n$/],
      [
        [],
        64,
        /^shortlist: --resumes .*job\.txt: is a file; give the folder that holds the resumes\n$/,
        ['--job', job, '--resumes', job],
      ],
      [
        [],
        64,
        /^shortlist: --job .*resumes: is a folder; give the job description's file\n$/,
        ['--job', resumes, '--resumes', resumes],
      ],
    ];
    for (const [args, status, stderr, base] of cases) {
      const result = check(args, base);
      expect({ args, status: result.status, stderr: result.stderr }).toEqual({
        args,
        status,
        stderr: expect.stringMatching(stderr) as string,
      });
    }
    expect(existsSync(dataDir)).toBe(false);
  });

  it('takes the scoring parameters of the API, and audits what the gate did', () => {
    const gated = screen(['--format', 'json', '--threshold', '1', '--hard-gate'], join(work, 'd5'));
    const report = reportSchema.parse(JSON.parse(gated.stdout));
    expect(report.params).toEqual({ threshold: 1, boost: 1.2, penalty: 0.6, hardGate: true });
    expect(report.results).toEqual([]);
    expect(report.audit).toMatchObject({ candidates: 5, boosted: 0, penalised: 0, removedByGate: 5 });

    const penalised = reportSchema.parse(
      JSON.parse(
        screen(['--format', 'json', '--threshold', '0.99', '--penalty', '0.5'], join(work, 'd5')).stdout,
      ),
    );
    for (const r of penalised.results) {
      expect(r.gate).toMatchObject({ threshold: 0.99, factor: r.sameDomain ? 1.2 : 0.5 });
      expect(r.unclipped).toBeCloseTo(r.semantic * 100 * r.gate.factor, 6);
    }
    expect(penalised.audit.boosted + penalised.audit.penalised).toBe(5);
    // The best by meaning, penalised: flagged for review.
    const best = [...penalised.results].sort((a, b) => b.semantic - a.semantic)[0]!;
    expect(best.flags.includes('review')).toBe(!best.sameDomain);
  });

  it('quotes evidence for the rows shown and counts what it shows right', () => {
    const result = screen(['--top', '2'], join(work, 'd5'));
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^Senior data engineer: 5 ranked, the best 2 shown/);
    expect(lines[1]).toMatch(
      /^gate \(domain > 0\.5\): \d+ boosted ×1\.2, \d+ penalised ×0\.6; \d+ borderline/,
    );
    // Under each of the two rows, its best passage.
    expect(result.stdout.match(/^ {6}\d\.\d\d “.+”$/gm)).toHaveLength(2);
    const json = reportSchema.parse(
      JSON.parse(screen(['--format', 'json', '--top', '3'], join(work, 'd5')).stdout),
    );
    expect(json.evidenceTop).toBe(3);
    expect(json.results.every((r) => r.evidence!.length > 0 && r.evidence!.length <= 3)).toBe(true);
    const none = reportSchema.parse(
      JSON.parse(screen(['--format', 'json', '--evidence', '0'], join(work, 'd5')).stdout),
    );
    expect(none.results.every((r) => r.evidence === undefined)).toBe(true);
  });

  it('leaves the job description out of the resumes when it lies in their folder, and says so', () => {
    const folder = join(work, 'with-job');
    mkdirSync(folder);
    copyFileSync(join(fixtures, 'docs', 'resume.txt'), join(folder, 'resume.txt'));
    copyFileSync(job, join(folder, 'job.txt'));
    const result = runCli(
      [
        'screen',
        '--job',
        join(folder, 'job.txt'),
        '--resumes',
        folder,
        '--models',
        MODELS,
        '--data-dir',
        join(work, 'd6'),
        '--format',
        'json',
      ],
      ENV,
    );
    expect(result.status).toBe(0);
    const report = reportSchema.parse(JSON.parse(result.stdout));
    expect(report.results.map((r) => r.file)).toEqual(['resume.txt']);
    expect(result.stderr).toMatch(/^shortlist: loading the models from .* and the data directory .*\n/);
    expect(result.stderr).toMatch(/shortlist: 2 document\(s\) to extract, 2 to embed\n/);
    expect(result.stderr).toMatch(
      /shortlist: 1 resume file\(s\): 1 read now, 0 reused from .*, 0 skipped; the job description .*job\.txt lies in the folder and is not ranked\n/,
    );
  });

  it('says when a model runs unfused although a fused copy lies beside it, and why', () => {
    const models = join(work, 'stale-models');
    cpSync(MODELS, models, { recursive: true });
    const sidecar = join(models, 'semantic', 'model_fused.json');
    const fields = JSON.parse(readFileSync(sidecar, 'utf8')) as Record<string, unknown>;
    writeFileSync(sidecar, JSON.stringify({ ...fields, sourceSha256: '0'.repeat(64) }));
    const folder = join(work, 'one-resume');
    mkdirSync(folder);
    copyFileSync(join(fixtures, 'docs', 'resume.txt'), join(folder, 'resume.txt'));
    const result = runCli(
      ['screen', '--job', job, '--resumes', folder, '--models', models, '--data-dir', join(work, 'd8')],
      ENV,
    );
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(
      'shortlist: the semantic model runs unfused: model_fused.onnx was made from another model.onnx (sha256 000000000000',
    );
    expect(result.stderr).not.toMatch(/the domain model runs unfused/);
    expect(result.stdout).toMatch(/resume\.txt/);
  });

  it('refuses a resumes folder with no resume in it, before any work', () => {
    const empty = join(work, 'no-resumes');
    mkdirSync(empty);
    const dataDir = join(work, 'no-resumes-data');
    const none = runCli(screenArgs(empty, dataDir), ENV);
    expect(none).toMatchObject({
      status: 64,
      stderr: `shortlist: --resumes ${empty}: no resume files in it\n`,
    });
    copyFileSync(job, join(empty, 'job.txt'));
    const onlyJob = runCli(screenArgs(empty, dataDir, [], join(empty, 'job.txt')), ENV);
    expect(onlyJob).toMatchObject({
      status: 64,
      stderr: `shortlist: --resumes ${empty}: no resume files in it besides the job description\n`,
    });
    expect(existsSync(dataDir)).toBe(false);
  });

  it('ranks a resume reached through a symbolic link', () => {
    const linked = join(work, 'linked');
    mkdirSync(linked);
    symlinkSync(join(fixtures, 'docs', 'resume.txt'), join(linked, 'link.txt'));
    const result = runCli(screenArgs(linked, join(work, 'd9'), ['--format', 'json']), ENV);
    expect(result.status).toBe(0);
    expect(reportSchema.parse(JSON.parse(result.stdout)).results.map((r) => r.file)).toEqual(['link.txt']);
  });

  it('prints control and bidirectional characters of file names escaped, never to the terminal', () => {
    const odd = join(work, 'odd-names');
    mkdirSync(odd);
    copyFileSync(join(fixtures, 'docs', 'resume.txt'), join(odd, 'clear\x1b[2Jscreen\n.txt'));
    // Read right to left from the override on, it would show as cv-txt.pdf.
    writeFileSync(join(odd, 'cv-\u202efdp.txt'), 'Data engineer: Kafka, Spark and PostgreSQL.');
    // A job description whose name sets the terminal's title, inside the folder: named when left out.
    const oddJob = join(odd, 'job\x1b]0;pwned\x07.txt');
    copyFileSync(job, oddJob);
    const result = runCli(screenArgs(odd, join(work, 'd11'), [], oddJob), ENV);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('clear\\x1b[2Jscreen\\x0a.txt');
    expect(result.stdout).toContain('cv-\\u202efdp.txt');
    expect(result.stderr).toContain('job\\x1b]0;pwned\\x07.txt lies in the folder');
    for (const output of [result.stdout, result.stderr]) {
      expect(['\x1b', '\x07', '\u202e'].filter((c) => output.includes(c))).toEqual([]);
    }
  });

  it('names a file whose name is not UTF-8 as skipped for that, and ranks the rest', () => {
    const latin1 = join(work, 'latin1-names');
    mkdirSync(latin1);
    copyFileSync(join(fixtures, 'docs', 'resume.txt'), join(latin1, 'plain.txt'));
    // `café.txt` as an older system writes it: é as the one byte 0xe9, not UTF-8.
    writeFileSync(
      Buffer.concat([Buffer.from(`${latin1}/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]),
      'SQL',
    );
    const result = runCli(screenArgs(latin1, join(work, 'd16'), ['--format', 'json']), ENV);
    expect(result.status).toBe(1); // a file was skipped
    expect(reportSchema.parse(JSON.parse(result.stdout)).results.map((r) => r.file)).toEqual(['plain.txt']);
    expect(result.stderr).toContain('caf\ufffd.txt: name_not_utf8');
  });

  it('says where the candidates to review went under the hard gate', () => {
    const result = screen(['--threshold', '0.99', '--hard-gate'], join(work, 'd5'));
    expect(result.stdout).toMatch(
      /\d+ to review \(top-decile meaning, removed by the hard gate: run without --hard-gate to see them\)/,
    );
    const penalised = screen(['--threshold', '0.99'], join(work, 'd5'));
    expect(penalised.stdout).toMatch(/\d+ to review \(top-decile meaning, penalised\)/);
  });

  it('says which resumes were ranked on their first tokens only (longer than EMBED_MAX_DOCUMENT_TOKENS)', () => {
    const long = join(work, 'long-resumes');
    mkdirSync(long);
    writeFileSync(join(long, 'long.txt'), `Data engineer.\n${'Kafka Spark Airflow pipelines. '.repeat(200)}`);
    writeFileSync(join(long, 'short.txt'), 'Nurse, ten years on a cardiac ward.');
    const env = { ...ENV, EMBED_MAX_DOCUMENT_TOKENS: '100' };
    const result = runCli(screenArgs(long, join(work, 'd12'), ['--format', 'json']), env);
    expect(result.status).toBe(0);
    const results = (JSON.parse(result.stdout) as { results: { file: string; truncated?: boolean }[] })
      .results;
    expect(Object.fromEntries(results.map((r) => [r.file, r.truncated ?? false]))).toEqual({
      'long.txt': true,
      'short.txt': false,
    });
    expect(result.stderr).toContain(
      'shortlist: 1 resume(s) longer than EMBED_MAX_DOCUMENT_TOKENS (100), ranked on their first tokens only: long.txt\n',
    );
    const html = runCli(screenArgs(long, join(work, 'd12'), ['--format', 'html']), env).stdout;
    expect(html.match(/first tokens only<\/span>/g)).toHaveLength(1);
  });

  it('refuses a job description over the size limit with exit 65, ranking nothing', () => {
    const big = join(work, 'big-job.txt');
    writeFileSync(big, 'Data engineer. '.repeat(100));
    const result = runCli(screenArgs(resumes, join(work, 'd10'), [], big), {
      ...ENV,
      MAX_DOCUMENT_BYTES: '1000',
    });
    expect(result.status).toBe(65);
    expect(result.stderr).toMatch(
      /shortlist: the job description .*big-job\.txt cannot be read \(too_large: .*1000 bytes\): nothing was ranked\n$/,
    );
  });

  it('refuses a data directory another run holds (exit 75), and runs once it is free', async () => {
    const stuck = join(work, 'held');
    mkdirSync(stuck);
    copyFileSync(join(fixtures, 'bad', 'hang.pdf'), join(stuck, 'hang.pdf'));
    const dataDir = join(work, 'held-data');
    const args = screenArgs(stuck, dataDir);
    const first = startCli(args, { ...ENV, EXTRACT_TIMEOUT_MS: '600000' });
    await waitFor('the parser to be running', () =>
      childProcesses(first.child.pid!).find((c) => c.command.includes('extract-child')),
    );
    const second = await runCliAsync(args, ENV);
    expect(second).toMatchObject({
      status: 75,
      stderr: `shortlist: --data-dir ${dataDir}: in use by another shortlist screen; wait for it to finish, or give another --data-dir\n`,
    });
    first.interruptGroup();
    await first.stderrLine(/stopping after the documents in hand/);
    first.interruptGroup();
    expect((await first.exited).status).toBe(130);
    const third = await runCliAsync(args, { ...ENV, EXTRACT_TIMEOUT_MS: '1000' });
    expect(third.stderr).not.toMatch(/in use by another/);
    expect(third.stderr).toMatch(/hang\.pdf: /);
  });

  it('refuses a job description it cannot read with exit 65 and the reason, ranking nothing', () => {
    const result = runCli(
      [
        'screen',
        '--job',
        join(fixtures, 'bad', 'truncated.pdf'),
        '--resumes',
        resumes,
        '--models',
        MODELS,
        '--data-dir',
        join(work, 'd4'),
      ],
      ENV,
    );
    expect(result.status).toBe(65);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^shortlist: the job description .*truncated\.pdf cannot be read \(corrupt_file\): nothing was ranked\n$/m,
    );
    expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
  });

  it('resumes after Ctrl-C without redoing finished documents', async () => {
    const many = join(work, 'many');
    mkdirSync(many);
    const random = seededRandom(7);
    const words = ['kafka', 'spark', 'postgres', 'nursing', 'payroll', 'latency', 'terraform', 'litigation'];
    for (let i = 0; i < 16; i++) {
      const text = Array.from({ length: 6_000 }, () => words[Math.floor(random() * words.length)]).join(' ');
      writeFileSync(join(many, `r${i}.txt`), `resume ${i}\n${text}`);
    }
    const args = ['screen', '--job', job, '--resumes', many, '--models', MODELS];
    const dataDir = join(work, 'interrupted');
    const first = startCli([...args, '--data-dir', dataDir], ENV);
    // Interrupt once the first resume is embedded: there is work done to keep and work left to resume.
    await first.stderrLine(/embedded [1-9]\d*\/\d+/);
    first.interruptGroup();
    const interrupted = await first.exited;
    expect(interrupted.status).toBe(130);
    expect(interrupted.stderr).toMatch(/interrupted; .* run the same command to resume/);

    const resumed = await runCliAsync([...args, '--data-dir', dataDir, '--format', 'json'], ENV);
    expect(resumed.status).toBe(0);
    expect(reportSchema.parse(JSON.parse(resumed.stdout)).results).toHaveLength(16);
    const [, embedded] = /16 resume file\(s\): (\d+) read now/.exec(resumed.stderr)!;
    expect(Number(embedded)).toBeLessThan(16);
  }, 120_000);

  it('quits on a second Ctrl-C with exit 130, killing the parsers still running', async () => {
    const stuck = join(work, 'stuck');
    mkdirSync(stuck);
    copyFileSync(join(fixtures, 'bad', 'hang.pdf'), join(stuck, 'hang.pdf'));
    const cli = startCli(
      [
        'screen',
        '--job',
        job,
        '--resumes',
        stuck,
        '--models',
        MODELS,
        '--data-dir',
        join(work, 'stuck-data'),
      ],
      { ...ENV, EXTRACT_TIMEOUT_MS: '600000', EXTRACT_MEMORY_MB: '8192' },
    );
    const parser = await waitFor('the parser to be running', () =>
      childProcesses(cli.child.pid!).find((c) => c.command.includes('extract-child')),
    );
    cli.interruptGroup();
    await cli.stderrLine(/stopping after the documents in hand/);
    cli.interruptGroup();
    expect((await cli.exited).status).toBe(130);
    await waitFor('the parser to be gone', () => !processExists(parser.pid));
  });

  it("keeps a document whose parser a terminal's Ctrl-C reached: it is extracted on the next run", async () => {
    // PDFs and DOCX files are parsed in child processes; a terminal sends SIGINT to every process of its
    // foreground group. Our own shutdown must never be recorded as the document's failure.
    const pdfs = join(work, 'pdfs');
    mkdirSync(pdfs);
    const pdf = readFileSync(join(fixtures, 'docs', 'resume.pdf'));
    const docx = readFileSync(join(fixtures, 'docs', 'resume.docx'));
    for (let i = 0; i < 16; i++) {
      // Bytes after %%EOF are ignored by PDF readers: same text, different files.
      writeFileSync(join(pdfs, `r${i}.pdf`), Buffer.concat([pdf, Buffer.from(`\n% copy ${i}\n`)]));
    }
    writeFileSync(join(pdfs, 'r.docx'), docx);
    const args = ['screen', '--job', job, '--resumes', pdfs, '--models', MODELS];
    const dataDir = join(work, 'parsers-interrupted');
    const first = startCli([...args, '--data-dir', dataDir], ENV);
    await first.stderrLine(/extracted [1-9]\d*\/\d+/); // parsers are at work on the next ones
    first.interruptGroup();
    expect((await first.exited).status).toBe(130);

    const again = await runCliAsync([...args, '--data-dir', dataDir, '--format', 'json'], ENV);
    const report = reportSchema.parse(JSON.parse(again.stdout));
    expect(report.skipped).toEqual([]);
    expect(report.results).toHaveLength(17);
    expect(again.status).toBe(0);
  }, 120_000);
});
