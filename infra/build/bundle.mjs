// Bundles each app (apps/<name>/src/main.ts) into apps/<name>/dist/main.js with esbuild. Workspace libraries
// (TypeScript sources) are bundled in; every npm dependency stays external and is loaded from node_modules at
// run time — from the app's own folder first, so an app gets the versions it declared — which keeps native
// modules (onnxruntime-node) and ESM-only packages working.
import { build } from 'esbuild';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function dependenciesOf(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies });
}

const workspaces = ['apps', 'libs'].flatMap((group) =>
  readdirSync(join(root, group)).map((name) => join(root, group, name)),
);
const external = [
  ...new Set([root, ...workspaces].flatMap(dependenciesOf).filter((d) => !d.startsWith('@shortlist/'))),
];

const apps = readdirSync(join(root, 'apps')).filter((app) =>
  existsSync(join(root, 'apps', app, 'src', 'main.ts')),
);

await Promise.all(
  apps.map((app) =>
    build({
      absWorkingDir: root,
      entryPoints: {
        main: join(root, 'apps', app, 'src', 'main.ts'),
        // Threads and child processes start from their own files beside main.js.
        'inference-thread': join(root, 'libs', 'embedding', 'src', 'inference-thread.ts'),
        'tokenizer-thread': join(root, 'libs', 'embedding', 'src', 'tokenizer-thread.ts'),
        // The extraction child process (libs/extract forks it from beside main.js).
        'extract-child': join(root, 'libs', 'extract', 'src', 'extract-child.ts'),
      },
      outdir: join(root, 'apps', app, 'dist'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: 'linked',
      external,
      logLevel: 'warning',
    }),
  ),
);
