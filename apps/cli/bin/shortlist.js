#!/usr/bin/env node
// `shortlist` command: runs the bundle that `npm ci` (prepare) or `npm run build` writes to dist/.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const bundle = join(__dirname, '..', 'dist', 'main.js');
if (!existsSync(bundle)) {
  process.stderr.write('shortlist is not built yet: run `npm run build` in the repository first\n');
  process.exit(1);
}
require(bundle);
