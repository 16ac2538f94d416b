/**
 * Deterministic synthetic corpora for the benchmarks: resumes and postings made of recruiting vocabulary, with
 * a realistic length spread. Random text: fine for speed, never for quality claims.
 */

import { seededUniform } from '../test/support/vectors';

const DOMAINS: Record<string, string[]> = {
  software: [
    'engineer',
    'python',
    'typescript',
    'kubernetes',
    'postgresql',
    'cloud',
    'platform',
    'api',
    'backend',
  ],
  data: ['data', 'science', 'machine', 'learning', 'models', 'sql', 'analysis', 'statistics', 'pipelines'],
  nursing: ['nurse', 'patient', 'clinical', 'care', 'hospital', 'medication', 'ward', 'triage', 'health'],
  teaching: ['teacher', 'school', 'students', 'curriculum', 'classroom', 'education', 'lessons', 'grading'],
  legal: ['lawyer', 'contracts', 'compliance', 'litigation', 'counsel', 'regulation', 'negotiated', 'law'],
  finance: ['accountant', 'budget', 'audit', 'revenue', 'forecast', 'ledger', 'tax', 'reporting', 'finance'],
  logistics: ['warehouse', 'supply', 'chain', 'logistics', 'inventory', 'shipping', 'fleet', 'operations'],
  sales: ['sales', 'quota', 'customers', 'pipeline', 'accounts', 'revenue', 'negotiation', 'territory'],
};
const COMMON =
  'experience years team led managed built delivered improved with the and for of in to a our role'.split(
    ' ',
  );

export const DOMAIN_NAMES = Object.keys(DOMAINS);

/** About `words` words of text in a domain, in sentences. */
export function text(domain: string, words: number, random: () => number): string {
  const vocabulary = [...DOMAINS[domain]!, ...COMMON];
  const sentences: string[] = [];
  let sentence: string[] = [];
  for (let i = 0; i < words; i++) {
    sentence.push(vocabulary[Math.floor(random() * vocabulary.length)]!);
    if (sentence.length >= 9 + (i % 6)) {
      sentences.push(`${sentence.join(' ')}.`);
      sentence = [];
    }
  }
  if (sentence.length > 0) sentences.push(`${sentence.join(' ')}.`);
  return sentences.join(' ');
}

/**
 * `count` documents: most are resumes of 300-2,500 words (log-uniform), about 1 in 10 a posting of 200-800,
 * and about 1 in 40 a long one of 6,000-8,000 (which the engine chunks).
 */
export function benchmarkCorpus(count: number, seed = 7): { id: string; text: string }[] {
  const random = seededUniform(seed);
  return Array.from({ length: count }, (_, i) => {
    const domain = DOMAIN_NAMES[i % DOMAIN_NAMES.length]!;
    const roll = random();
    const logUniform = (lo: number, hi: number) => Math.round(lo * Math.pow(hi / lo, random()));
    const words =
      roll < 0.025 ? logUniform(6000, 8000) : roll < 0.125 ? logUniform(200, 800) : logUniform(300, 2500);
    return { id: `doc-${i}`, text: text(domain, words, random) };
  });
}
