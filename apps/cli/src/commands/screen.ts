import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode, loadSections } from '@shortlist/config';
import { InvalidScoreParamsError, resolveParams, type ScoreOverrides } from '@shortlist/scoring';
import { MAX_DOCUMENT_TOKENS, ModelLoadError } from '@shortlist/embedding';
import { SCREENING_LIMITS, type StageProgress } from '@shortlist/pipeline';
import { clearEarlyNotice } from '../early-notice';
import { ArgumentError, checkDataFolder, checkOutputFile, decimal, integerIn, statOf } from '../arguments';
import { runCommand } from '../run-command';
import { screenFolder, type ScreeningReport } from '../screen/embedded-screening';
import { printable, printableLines } from '../printable';
import { FORMATS, RANDOM_MODELS_WARNING, render, usesRandomModels, type Format } from '../screen/render';

export interface ScreenArguments {
  job: string;
  resumes: string;
  top?: number;
  format: Format;
  out?: string;
  dataDir: string;
  models?: string;
  /** Overrides EMBED_QUANTIZED (the demo, with only the INT8 files pulled). */
  quantized?: boolean;
  /** Score parameters, as typed (checked by runScreen like the API checks its `params`). */
  threshold?: string;
  boost?: string;
  penalty?: string;
  hardGate?: boolean;
  /** How many of the best results get evidence; default: the rows shown (--top), at most 50. */
  evidence?: number;
}

/** Evidence for the rows shown, by default: --top of them, at most this many. */
const DEFAULT_EVIDENCE = 50;
const format = (value: string) => {
  if (!(FORMATS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${FORMATS.join(', ')}`);
  return value as Format;
};

/** Whether a folder holds the two model folders of the contract. */
export const hasModels = (dir: string) =>
  existsSync(join(dir, 'semantic')) && existsSync(join(dir, 'domain'));

/**
 * The score parameters of the command line, checked as the API checks its `params` (same ranges), each error
 * naming the option: `--threshold 2: Too big: expected number to be <=1`.
 */
function scoreOverrides(args: ScreenArguments): ScoreOverrides {
  const overrides: ScoreOverrides = {};
  for (const name of ['threshold', 'boost', 'penalty'] as const) {
    const text = args[name];
    if (text === undefined) continue;
    const value = decimal(text);
    if (value === undefined || !Number.isFinite(value))
      throw new ArgumentError(`--${name} ${text}: not a number`);
    overrides[name] = value;
  }
  if (args.hardGate) overrides.hardGate = true;
  try {
    resolveParams(overrides);
  } catch (error) {
    if (!(error instanceof InvalidScoreParamsError)) throw error;
    const field = /^params\.(\w+): (.*)$/.exec(error.message);
    if (!field) throw new ArgumentError(error.message);
    const option = field[1] === 'hardGate' ? 'hard-gate' : field[1]!;
    throw new ArgumentError(`--${option} ${String(args[field[1] as keyof ScreenArguments])}: ${field[2]}`);
  }
  return overrides;
}

/**
 * Every argument checked before any work, each problem as one line: the job a file, the resumes a folder, the
 * score parameters in range (64), --out a file that can be created (73) and that is no input (it would replace the
 * job description, or be read as a resume by the next run), the data directory one that can be made (73).
 */
async function checkArguments(args: ScreenArguments): Promise<ScoreOverrides> {
  const job = await statOf(args.job);
  if (!job) throw new ArgumentError(`--job ${args.job}: no such file`);
  if (job.isDirectory())
    throw new ArgumentError(`--job ${args.job}: is a folder; give the job description's file`);
  const resumes = await statOf(args.resumes);
  if (!resumes) throw new ArgumentError(`--resumes ${args.resumes}: no such folder`);
  if (!resumes.isDirectory())
    throw new ArgumentError(`--resumes ${args.resumes}: is a file; give the folder that holds the resumes`);
  const overrides = scoreOverrides(args);
  if (args.out)
    await checkOutputFile('--out', args.out, [
      { path: args.job, why: 'is the job description' },
      {
        path: args.resumes,
        folder: true,
        why: `lies in the resumes folder ${args.resumes}, where the next run would read it as a resume`,
      },
    ]);
  await checkDataFolder('--data-dir', args.dataDir);
  return overrides;
}

/**
 * Progress without a terminal (a log file, a pipe, CI): plain lines on stderr — a stage's first finished document,
 * then at most one line a second per stage.
 */
function progressLines(
  planned: () => { extract: number; embed: number } | undefined,
): (progress: StageProgress) => void {
  const printedAt = new Map<string, number>();
  return ({ name, total, finished }) => {
    if ((name !== 'extract' && name !== 'embed') || finished === 0) return;
    const last = printedAt.get(name);
    if (last !== undefined && Date.now() - last < 1000) return;
    printedAt.set(name, Date.now());
    process.stderr.write(
      // Out of the work counted before it started (the runner's own total grows as documents reach the stage).
      `shortlist: ${name === 'extract' ? 'extracted' : 'embedded'} ${finished}/${Math.max(planned()?.[name] ?? 0, total)}\n`,
    );
  };
}

/** Runs the embedded screening with progress on a terminal, prints or writes the ranking, reports skipped files. */
export async function runScreen(args: ScreenArguments): Promise<void> {
  const overrides = await checkArguments(args);
  const config = loadSections(['models', 'embed', 'extract', 'ingest']);
  const modelsDir = args.models ?? config.models.dir;
  if (!hasModels(modelsDir)) {
    throw new ModelLoadError(
      `no models in ${modelsDir} (semantic/ and domain/). Get them with \`shortlist models pull --models ${modelsDir}\` ` +
        '(needs huggingface.co); without access to the hub, copy the two model folders there from a machine that ' +
        'has them, or try the bundled test models: --models test/fixtures/models/tiny (random weights: the scores ' +
        'carry no meaning)',
    );
  }

  const bars = process.stderr.isTTY
    ? new MultiBar(
        {
          format: ' {stage} [{bar}] {value}/{total} | ETA {eta_formatted}',
          hideCursor: true,
          clearOnComplete: false,
        },
        Presets.shades_classic,
      )
    : undefined;
  const stageBars = new Map<string, SingleBar>();
  /** The bars' totals, counted before the work starts. */
  let plan: { extract: number; embed: number } | undefined;
  const stageName = (name: string) => (name === 'extract' ? 'extracting' : 'embedding ');
  // On a terminal, one status line rewritten in place until the bars take over; elsewhere, plain lines.
  let statusShown = false;
  const status = (message: string) => {
    clearEarlyNotice();
    if (bars) {
      process.stderr.write(`\r\x1b[2Kshortlist: ${printable(message)}…`);
      statusShown = true;
    } else process.stderr.write(`shortlist: ${printableLines(message)}\n`);
  };
  const clearStatus = () => {
    if (statusShown) process.stderr.write('\r\x1b[2K');
    statusShown = false;
  };
  const controller = new AbortController();
  const quit = new AbortController();
  // One listener for the whole run, counting Ctrl-Cs: were the listener count to drop to zero between two (as with
  // chained process.once), Node would restore SIGINT's default action for that moment, and a Ctrl-C arriving then
  // would kill the process outright.
  let interrupts = 0;
  const interrupt = () => {
    switch (++interrupts) {
      case 1:
        process.stderr.write(
          '\nshortlist: stopping after the documents in hand (Ctrl-C again to quit at once)\n',
        );
        controller.abort();
        break;
      case 2:
        // Kills the parsers still running (they are in process groups of their own); the run unwinds after the
        // inference batch in hand. Exiting right here would tear the inference thread down mid-run (onnxruntime
        // aborts the process: SIGABRT, not 130).
        process.stderr.write('\nshortlist: quitting (Ctrl-C again to exit without closing anything)\n');
        quit.abort();
        break;
      default:
        process.exit(ExitCode.interrupted);
    }
  };
  process.on('SIGINT', interrupt);
  // Printed with the closing lines: a line written now would be overwritten by the status line and the bars.
  const warnings: string[] = [];
  let report: ScreeningReport;
  try {
    report = await screenFolder({
      job: args.job,
      resumes: args.resumes,
      dataDir: args.dataDir,
      models: modelsDir,
      top: args.top,
      overrides,
      evidence: args.evidence ?? Math.min(args.top ?? DEFAULT_EVIDENCE, DEFAULT_EVIDENCE),
      onStatus: status,
      onWarning: (warning) => warnings.push(warning),
      onPlan: (counted) => {
        plan = counted;
        if (!bars) {
          process.stderr.write(
            `shortlist: ${counted.extract} document(s) to extract, ${counted.embed} to embed\n`,
          );
          return;
        }
        clearStatus();
        for (const name of ['extract', 'embed'] as const)
          if (counted[name] > 0)
            stageBars.set(name, bars.create(counted[name], 0, { stage: stageName(name) }));
      },
      embed: { ...config.embed, quantized: args.quantized ?? config.embed.quantized },
      extract: { ...config.extract, maxDocumentBytes: config.ingest.maxDocumentBytes },
      signal: controller.signal,
      quit: quit.signal,
      onProgress: bars
        ? ({ name, total, finished }) => {
            if (name !== 'extract' && name !== 'embed') return;
            const stage = stageName(name);
            const expected = Math.max(plan?.[name] ?? 0, total);
            const bar = stageBars.get(name) ?? bars.create(expected, 0, { stage });
            stageBars.set(name, bar);
            if (bar.getTotal() < expected) bar.setTotal(expected);
            bar.update(finished, { stage });
          }
        : progressLines(() => plan),
    });
  } finally {
    clearStatus();
    bars?.stop();
    process.removeListener('SIGINT', interrupt);
  }
  for (const warning of warnings) process.stderr.write(`shortlist: ${printableLines(warning)}\n`);
  if (report.interrupted) {
    process.stderr.write(
      'shortlist: interrupted; what was finished is kept in the data directory: run the same command to resume\n',
    );
    process.exitCode = ExitCode.interrupted;
    return;
  }
  process.stderr.write(`shortlist: ${printableLines(processedLine(report, args.dataDir))}\n`);
  const output = render(report, args.format);
  if (args.out) await writeFile(args.out, output);
  else process.stdout.write(output);
  if (usesRandomModels(report)) process.stderr.write(`shortlist: ${RANDOM_MODELS_WARNING}\n`);
  const truncated = report.results.filter((r) => r.truncated);
  if (truncated.length > 0)
    process.stderr.write(
      `shortlist: ${truncated.length} resume(s) longer than EMBED_MAX_DOCUMENT_TOKENS (${config.embed.maxDocumentTokens ?? MAX_DOCUMENT_TOKENS}), ` +
        `ranked on their first tokens only: ${truncated.map((r) => printable(r.file)).join(', ')}\n`,
    );
  if (report.skipped.length > 0) {
    process.stderr.write(`shortlist: ${report.skipped.length} file(s) skipped:\n`);
    for (const s of report.skipped) process.stderr.write(`  ${printable(s.file)}: ${s.reason}\n`);
    process.exitCode = ExitCode.failure;
  }
}

/** What the run did with the files, in counts that add up: `48 resume file(s): 3 read now, 45 reused ...`. */
function processedLine(report: ScreeningReport, dataDir: string): string {
  const p = report.processed;
  const parts = [
    `${p.readNow} read now`,
    ...(p.embeddedAgain > 0 ? [`${p.embeddedAgain} embedded again (new models)`] : []),
    `${p.reused} reused from ${dataDir}`,
    `${p.skipped} skipped`,
  ];
  const unfinished = p.files - p.readNow - p.embeddedAgain - p.reused - p.skipped;
  if (unfinished > 0) parts.push(`${unfinished} not finished`);
  return (
    `${p.files} resume file(s): ${parts.join(', ')}` +
    (p.jobExcluded ? `; the job description ${report.posting.file} lies in the folder and is not ranked` : '')
  );
}

export function registerScreen(program: Command): void {
  program
    .command('screen')
    .description('rank a folder of resumes against a job description, on this machine (no services needed)')
    .requiredOption('--job <file>', 'the job description (text, PDF, DOCX or HTML)')
    .requiredOption('--resumes <dir>', 'folder of resumes (searched recursively)')
    .option(
      '--top <n>',
      `keep the n best (at most ${SCREENING_LIMITS.top})`,
      integerIn(1, SCREENING_LIMITS.top),
    )
    .option('--threshold <x>', 'domain similarity above which a candidate is boosted (-1..1; default 0.5)')
    .option('--boost <x>', 'factor of candidates above the threshold (0..10; default 1.2)')
    .option('--penalty <x>', 'factor of candidates at or below it (0..10; default 0.6)')
    .option('--hard-gate', 'leave out candidates at or below the threshold instead of penalising them')
    .option(
      '--evidence <n>',
      'quote the passages most similar to the job for the n best (default: the rows shown, at most 50; 0: none)',
      integerIn(0, SCREENING_LIMITS.evidence),
    )
    .option('--format <format>', `output: ${FORMATS.join(', ')}`, format, 'table' as Format)
    .option('--out <file>', 'write the output to a file instead of stdout')
    .option('--data-dir <dir>', 'where documents, vectors and runs are kept between runs', '.shortlist')
    .option('--models <dir>', 'models directory (default: MODELS_DIR)')
    .action(
      runCommand(async (options: ScreenArguments) => {
        await runScreen(options);
      }),
    );
}
