// Each workspace declares the workspaces it imports (knip checks npm packages, but resolves @shortlist/* through
// tsconfig paths and so cannot see a missing declaration). Part of `npm run check`.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const sources = (dir) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));

const problems = [];
for (const group of ['apps', 'libs']) {
  for (const name of readdirSync(join(root, group))) {
    const dir = join(root, group, name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const declared = new Set(Object.keys(manifest.dependencies ?? {}));
    const imported = new Set();
    for (const file of sources(join(dir, 'src'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/from '(@shortlist\/[a-z-]+)'/g))
        imported.add(match[1]);
    }
    imported.delete(manifest.name);
    for (const dep of imported)
      if (!declared.has(dep)) problems.push(`${group}/${name} imports ${dep} but does not declare it`);
    for (const dep of declared) {
      if (dep.startsWith('@shortlist/') && !imported.has(dep))
        problems.push(`${group}/${name} declares ${dep} but does not import it`);
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
