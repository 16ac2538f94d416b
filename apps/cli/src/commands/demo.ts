import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '@shortlist/config';
import { runCommand } from '../run-command';
import { hasModels, runScreen } from './screen';

/** The checkout's root (the bundle runs from apps/cli/dist, the sources from apps/cli/src/commands). */
function repositoryRoot(): string {
  for (let dir = __dirname; dir !== '/'; dir = join(dir, '..')) {
    if (existsSync(join(dir, 'demo', 'resumes')) && existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error('the sample corpus (demo/) is not here: run the demo from a checkout of Shortlist');
}

/**
 * The best models at hand: the configured models directory (the nbk models, after `shortlist models pull`), else
 * the real small model that `npm run bench:embed` exports, else the bundled tiny random ones.
 */
function bestModels(root: string): { dir: string; note?: string } {
  const configured = loadConfig().models.dir;
  if (hasModels(configured)) return { dir: configured };
  const minilm = join(root, '.shortlist', 'models', 'minilm');
  if (hasModels(minilm)) {
    return {
      dir: minilm,
      note: `no nbk models in ${configured}: using all-MiniLM-L6-v2 (a real, general model) for both roles`,
    };
  }
  return {
    dir: join(root, 'test', 'fixtures', 'models', 'tiny'),
    note:
      `no models in ${configured}: using the bundled tiny test models, whose random weights make the scores ` +
      'meaningless (the demo still shows every step). `shortlist models pull` fetches the real ones.',
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
        const models = bestModels(root);
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
          });
          if (process.exitCode === 130) return;
        }
      }),
    );
}
