import { readFileSync } from 'node:fs';
import { cosine } from '../../test/support/vectors';

/**
 * Parity of two `embed-runner --vectors` files of the same corpus (GPU run against the CPU fp32 reference): least
 * and median cosine per model over the reference's documents (the first ones of the candidate's, when the
 * reference embedded fewer). Prints one JSON line.
 *
 *   node parity.js LABEL candidate.jsonl reference.jsonl
 */
const [label, candidatePath, referencePath] = process.argv.slice(2);
type Vectors = { semantic: number[]; domain: number[] };
const read = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Vectors);
const reference = read(referencePath!);
const candidate = read(candidatePath!).slice(0, reference.length);
if (candidate.length !== reference.length)
  throw new Error(`${candidate.length} vs ${reference.length} documents`);
const summary = (role: keyof Vectors) => {
  // A NaN vector (written to JSON as nulls) counts as the worst: NaN would stop the sort from ordering the rest.
  const cosines = candidate
    .map((v, i) => cosine(v[role], reference[i]![role]))
    .map((c) => (Number.isFinite(c) ? c : -Infinity))
    .sort((a, b) => a - b);
  return {
    min: cosines[0],
    median: cosines[Math.floor(cosines.length / 2)],
    notFinite: cosines.filter((c) => c === -Infinity).length,
  };
};
process.stdout.write(
  `${JSON.stringify({ parity: label, documents: candidate.length, semantic: summary('semantic'), domain: summary('domain') })}\n`,
);
