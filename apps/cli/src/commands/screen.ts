import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode, loadSections } from '@shortlist/config';
import { ModelLoadError } from '@shortlist/embedding';
import type { StageProgress } from '@shortlist/pipeline';
import { runCommand } from '../run-command';
import { isDirectory, screenFolder, type ScreeningReport } from '../screen/embedded-screening';
import { FORMATS, render, type Format } from '../screen/render';

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
}

const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};
const format = (value: string) => {
  if (!(FORMATS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${FORMATS.join(', ')}`);
  return value as Format;
};

/** Models made by tools/make_test_models.py: right shape, random weights. */
const RANDOM_MODEL = /^shortlist\/random-/;

/** Whether a folder holds the two model folders of the contract. */
export const hasModels = (dir: string) =>
  existsSync(join(dir, 'semantic')) && existsSync(join(dir, 'domain'));

function usage(message: string): void {
  process.stderr.write(`shortlist: ${message}\n`);
  process.exitCode = ExitCode.usage;
}

/**
 * Progress without a terminal (a log file, a pipe, CI): plain lines on stderr — a stage's first finished document,
 * then at most one line a second per stage.
 */
function progressLines(): (progress: StageProgress) => void {
  const printedAt = new Map<string, number>();
  return ({ name, total, finished }) => {
    if ((name !== 'extract' && name !== 'embed') || finished === 0) return;
    const last = printedAt.get(name);
    if (last !== undefined && Date.now() - last < 1000) return;
    printedAt.set(name, Date.now());
    process.stderr.write(
      `shortlist: ${name === 'extract' ? 'extracted' : 'embedded'} ${finished}/${total}\n`,
    );
  };
}

/** Runs the embedded screening with progress on a terminal, prints or writes the ranking, reports skipped files. */
export async function runScreen(args: ScreenArguments): Promise<void> {
  if (!existsSync(args.job) || (await isDirectory(args.job))) return usage(`--job ${args.job}: no such file`);
  if (!(await isDirectory(args.resumes))) return usage(`--resumes ${args.resumes}: no such folder`);
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
  let report: ScreeningReport;
  try {
    report = await screenFolder({
      job: args.job,
      resumes: args.resumes,
      dataDir: args.dataDir,
      models: modelsDir,
      top: args.top,
      embed: { ...config.embed, quantized: args.quantized ?? config.embed.quantized },
      extract: { ...config.extract, maxDocumentBytes: config.ingest.maxDocumentBytes },
      signal: controller.signal,
      quit: quit.signal,
      onProgress: bars
        ? ({ name, total, finished }) => {
            if (name !== 'extract' && name !== 'embed') return;
            const stage = name === 'extract' ? 'extracting' : 'embedding ';
            const bar = stageBars.get(name) ?? bars.create(total, 0, { stage });
            stageBars.set(name, bar);
            bar.setTotal(total);
            bar.update(finished, { stage });
          }
        : progressLines(),
    });
  } finally {
    bars?.stop();
    process.removeListener('SIGINT', interrupt);
  }
  if (report.interrupted) {
    process.stderr.write(
      'shortlist: interrupted; what was finished is kept in the data directory: run the same command to resume\n',
    );
    process.exitCode = ExitCode.interrupted;
    return;
  }
  const { extracted, embedded, files } = report.processed;
  process.stderr.write(
    `shortlist: ${files} file(s); ${extracted} new or changed extracted, ${embedded} embedded; the rest reused from ${args.dataDir}\n`,
  );
  const output = render(report, args.format);
  if (args.out) await writeFile(args.out, output);
  else process.stdout.write(output);
  if ([report.models.semantic.name, report.models.domain.name].some((n) => RANDOM_MODEL.test(n))) {
    process.stderr.write(
      'shortlist: these are random test models: the ranking shows the mechanics, its scores carry no meaning\n',
    );
  }
  if (report.skipped.length > 0) {
    process.stderr.write(`shortlist: ${report.skipped.length} file(s) skipped:\n`);
    for (const s of report.skipped) process.stderr.write(`  ${s.file}: ${s.reason}\n`);
    process.exitCode = ExitCode.failure;
  }
}

export function registerScreen(program: Command): void {
  program
    .command('screen')
    .description('rank a folder of resumes against a job description, on this machine (no services needed)')
    .requiredOption('--job <file>', 'the job description (text, PDF, DOCX or HTML)')
    .requiredOption('--resumes <dir>', 'folder of resumes (searched recursively)')
    .option('--top <n>', 'keep the n best', positive)
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
