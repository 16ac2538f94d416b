import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadSections } from '@shortlist/config';
import { HubUnreachableError, ModelPullError, ROLES, locateModel } from '@shortlist/embedding';
import { runCommand } from '../run-command';
import { pullNbkModels } from './models';
import { hasModels, runScreen } from './screen';

/** The checkout's root (the bundle runs from apps/cli/dist, the sources from apps/cli/src/commands). */
function repositoryRoot(): string {
  for (let dir = __dirname; dir !== '/'; dir = join(dir, '..')) {
    if (existsSync(join(dir, 'demo', 'resumes')) && existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error('the sample corpus (demo/) is not here: run the demo from a checkout of Shortlist');
}

/** Whether both roles have an ONNX model in the folder: fp32 (preferred) or only INT8; undefined if not. */
async function installed(dir: string): Promise<{ quantized: boolean } | undefined> {
  for (const quantized of [false, true]) {
    const found = await Promise.all(
      ROLES.map((role) =>
        locateModel(dir, role, quantized).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (found.every(Boolean)) return { quantized };
  }
  return undefined;
}

/**
 * The best models at hand: the configured models directory (the nbk models); else the nbk models pulled there
 * from the hub (INT8: a quarter of the download; resumable, verified); only when the hub does not give them, the
 * real small model that `npm run bench:embed` exports, else the bundled tiny random ones, with a warning.
 */
async function bestModels(root: string): Promise<{ dir: string; quantized: boolean; note?: string }> {
  const config = loadSections(['models']);
  const configured = config.models.dir;
  const present = await installed(configured);
  if (present) return { dir: configured, ...present };
  process.stderr.write(
    `shortlist demo: no models in ${configured}: fetching the nbk models (INT8) from ${config.models.hubEndpoint}\n`,
  );
  let why: string;
  try {
    await pullNbkModels(configured, { quantized: true });
    return { dir: configured, quantized: true };
  } catch (error) {
    if (!(error instanceof HubUnreachableError || error instanceof ModelPullError)) throw error;
    why = error.message;
  }
  const minilm = join(root, '.shortlist', 'models', 'minilm');
  if (hasModels(minilm)) {
    return {
      dir: minilm,
      quantized: false,
      note: `the nbk models could not be fetched (${why}); using all-MiniLM-L6-v2 (a real, general model) for both roles`,
    };
  }
  return {
    dir: join(root, 'test', 'fixtures', 'models', 'tiny'),
    quantized: false,
    note:
      `the nbk models could not be fetched (${why}); using the bundled tiny test models, whose random weights ` +
      'make the scores meaningless (the demo still shows every step). Run the demo again to resume the download.',
  };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('screen the bundled sample corpus (demo/) on this machine: each posting against 48 resumes')
    .option('--data-dir <dir>', 'where the demo keeps its documents and vectors', '.shortlist/demo')
    .option('--top <n>', 'rows per posting', '10')
    .action(
      runCommand(async (options: { dataDir: string; top: string }) => {
        const root = repositoryRoot();
        const models = await bestModels(root);
        if (models.note) process.stderr.write(`shortlist demo: ${models.note}\n`);
        const postings = readdirSync(join(root, 'demo', 'postings')).sort();
        for (const posting of postings) {
          process.stdout.write(`\n== ${posting}\n`);
          await runScreen({
            job: join(root, 'demo', 'postings', posting),
            resumes: join(root, 'demo', 'resumes'),
            top: Number(options.top),
            format: 'table',
            dataDir: options.dataDir,
            models: models.dir,
            quantized: models.quantized,
          });
          if (process.exitCode === 130) return;
        }
      }),
    );
}
