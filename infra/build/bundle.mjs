// Bundles each process entry point into dist/ with esbuild. Workspace libraries (TypeScript sources) are
// bundled in; every npm dependency stays external and is loaded from node_modules at run time, so native
// modules (onnxruntime-node) and ESM-only packages keep working.
import { build } from 'esbuild';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function dependenciesOf(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies });
}

const workspaceDirs = ['apps', 'libs'].flatMap((group) =>
  readdirSync(join(root, group)).map((name) => join(root, group, name)),
);
const external = [
  ...new Set([root, ...workspaceDirs].flatMap(dependenciesOf).filter((d) => !d.startsWith('@shortlist/'))),
];

/** Entry points: output name -> source. Helpers that run in their own process or thread are entries too. */
const entries = {
  cli: 'apps/cli/src/main.ts',
  api: 'apps/api/src/main.ts',
  worker: 'apps/worker/src/main.ts',
};

const entryPoints = Object.fromEntries(
  Object.entries(entries).filter(([, source]) => existsSync(join(root, source))),
);

await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(Object.entries(entryPoints).map(([name, src]) => [name, join(root, src)])),
  outdir: join(root, 'dist'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  external,
  logLevel: 'warning',
});
