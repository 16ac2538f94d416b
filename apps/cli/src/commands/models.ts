import type { Command } from 'commander';
import { basename } from 'node:path';
import { MultiBar, Presets } from 'cli-progress';
import { loadSections } from '@shortlist/config';
import {
  HubUnreachableError,
  ModelLoadError,
  ModelPullError,
  NBK_REPOSITORIES,
  ROLES,
  loadManifest,
  locateModel,
  pullModel,
} from '@shortlist/embedding';
import { ExitCode } from '@shortlist/config';
import { runCommand } from '../run-command';

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * Pulls both nbk models into a models directory (resumable, each file verified against the hub's listing), with a
 * progress bar per file on a terminal, then one line per file. Throws HubUnreachableError (no hub, or one that
 * stalls past HF_STALL_SECONDS) or ModelPullError.
 */
export async function pullNbkModels(
  dir: string,
  options: { quantized: boolean; revision?: string },
): Promise<void> {
  const config = loadSections(['models']);
  const bars = process.stderr.isTTY
    ? new MultiBar(
        { format: ' {role} {file} [{bar}] {percentage}% | {value}/{total} bytes | ETA {eta}s' },
        Presets.shades_classic,
      )
    : undefined;
  const active = new Map<string, ReturnType<MultiBar['create']>>();
  const pulled: string[] = [];
  try {
    for (const role of ROLES) {
      const files = await pullModel(role, NBK_REPOSITORIES[role], dir, {
        endpoint: config.models.hubEndpoint,
        token: config.models.hubToken,
        revision: options.revision ?? 'main',
        quantized: options.quantized,
        stallMs: config.models.hubStallSeconds * 1000,
        onProgress: ({ path, received, total }) => {
          if (!bars) return;
          const key = `${role}/${path}`;
          let bar = active.get(key);
          if (!bar) {
            bar = bars.create(total, 0, { role, file: path });
            active.set(key, bar);
          }
          bar.update(received);
        },
      });
      pulled.push(
        ...files.map((f) => `${role}: ${f.path} ${mb(f.size)}${f.skipped ? ' (already installed)' : ''}`),
      );
    }
  } finally {
    // The bars share the terminal until every download is done; the summary follows them.
    bars?.stop();
  }
  process.stderr.write(pulled.map((line) => `${line}\n`).join(''));
}

export function registerModels(program: Command): void {
  const models = program.command('models').description('install and inspect the embedding models');

  models
    .command('pull')
    .description('download the nbk semantic and domain models from the Hugging Face hub (resumes, verifies)')
    .option('--models <dir>', 'models directory (default: MODELS_DIR)')
    .option('--quantized', 'the INT8 ONNX export instead of the full one')
    .option('--revision <rev>', 'repository revision', 'main')
    .action(
      runCommand(async (options: { models?: string; quantized?: boolean; revision: string }) => {
        const dir = options.models ?? loadSections(['models']).models.dir;
        try {
          await pullNbkModels(dir, { quantized: options.quantized ?? false, revision: options.revision });
          process.stdout.write(`models installed in ${dir}\n`);
        } catch (error) {
          if (error instanceof HubUnreachableError || error instanceof ModelPullError) {
            process.stderr.write(`shortlist: ${error.message}\n`);
            process.exitCode = error instanceof HubUnreachableError ? ExitCode.unavailable : ExitCode.failure;
            return;
          }
          throw error;
        }
      }),
    );

  models
    .command('list')
    .description(
      'show the installed models: file, size, sha256, dimensions, context, and the fused copy the engine runs (or why not)',
    )
    .option('--models <dir>', 'models directory (default: MODELS_DIR)')
    .option('--quantized', 'inspect the INT8 ONNX files')
    .action(
      runCommand(async (options: { models?: string; quantized?: boolean }) => {
        const dir = options.models ?? loadSections(['models']).models.dir;
        let missing = 0;
        for (const role of ROLES) {
          try {
            const m = await loadManifest(await locateModel(dir, role, options.quantized));
            const fused = m.fused
              ? `fused copy ${basename(m.fused.file)}`
              : m.fusedIgnored
                ? `fused copy ignored: ${m.fusedIgnored.reason}`
                : 'no fused copy (tools/fuse_model.py makes one)';
            process.stdout.write(
              `${role}\t${m.name}\t${m.onnxFile}\t${mb(m.onnxSize)}\tsha256:${m.sha256.slice(0, 12)}\t${m.dims}-D\t${m.maxTokens} tokens\t${fused}\n`,
            );
          } catch (error) {
            if (!(error instanceof ModelLoadError)) throw error;
            missing++;
            process.stdout.write(`${role}\tnot installed: ${error.message}\n`);
          }
        }
        if (missing > 0) {
          process.stderr.write(
            `shortlist: install them in ${dir} with \`shortlist models pull --models ${dir}\`, or copy the model folders there\n`,
          );
          process.exitCode = ExitCode.unavailable;
        }
      }),
    );
}
