import {
  DocumentRepository,
  EmbeddingRepository,
  ScreeningRepository,
  type EvidencePassage,
  type ScreeningRun,
} from '@shortlist/db';
import type { PipelineDependencies } from './dependencies';

/** Passages quoted per candidate: the most similar to the posting. */
const EVIDENCE_PASSAGES = 3;
/** Passages of one resume compared, from its start: bounds the cost of a long resume (~2,500 words). */
const MAX_PASSAGES_PER_DOCUMENT = 64;
/** A passage gathers whole sentences or lines until it has at least this many words... */
const MIN_WORDS = 8;
/** ...and never more than this many (a longer sentence is cut between words, the one exception). */
const MAX_WORDS = 60;

const SENTENCE_END = /(?<=[.!?;])\s+(?=\S)/u;

/**
 * A text cut into passages on line and sentence boundaries: each line split into sentences; short ones (a
 * heading, a bullet of skills) joined with the next of the same paragraph until a passage has MIN_WORDS words;
 * none longer than MAX_WORDS. A paragraph break always ends a passage.
 */
export function splitPassages(text: string, maxPassages = MAX_PASSAGES_PER_DOCUMENT): string[] {
  const passages: string[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    let current: string[] = [];
    let words = 0;
    const flush = () => {
      if (current.length > 0) passages.push(current.join(' '));
      current = [];
      words = 0;
    };
    const units = paragraph
      .split('\n')
      .flatMap((line) => line.split(SENTENCE_END))
      .map((unit) => unit.trim())
      .filter((unit) => /[\p{L}\p{N}]/u.test(unit));
    for (const unit of units) {
      let unitWords = unit.split(/\s+/);
      if (words + unitWords.length > MAX_WORDS) flush();
      while (unitWords.length > MAX_WORDS) {
        passages.push(unitWords.slice(0, MAX_WORDS).join(' '));
        unitWords = unitWords.slice(MAX_WORDS);
      }
      current.push(unitWords.join(' '));
      words += unitWords.length;
      if (words >= MIN_WORDS) flush();
    }
    flush();
    if (passages.length >= maxPassages) break;
  }
  return passages.slice(0, maxPassages);
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
};

/**
 * The passages of one text most similar to a posting's semantic vector (cosines: both are L2-normalised), best
 * first. Every passage is embedded at once: the engine's batcher packs them into shared inference batches.
 */
export async function bestPassages(
  embed: (passages: string[]) => Promise<ArrayLike<number>[]>,
  text: string,
  postingVector: ArrayLike<number>,
  count = EVIDENCE_PASSAGES,
): Promise<EvidencePassage[]> {
  const passages = splitPassages(text);
  const vectors = await embed(passages);
  return passages
    .map((passage, i) => ({ text: passage, similarity: dot(vectors[i]!, postingVector) }))
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, count);
}

/**
 * Evidence for a completed run's first `evidenceTop` results, those that lack it (a redelivered job adds only
 * what is missing): each resume's passages most similar to the posting, with the semantic model of this
 * process's engine. Without an engine nothing is done; without the posting's vector from its semantic model, each
 * result gets empty evidence.
 * Returns the number of documents given evidence.
 */
export async function addEvidence(
  run: Pick<ScreeningRun, 'id' | 'tenantId' | 'postingId' | 'evidenceTop'>,
  postingDocumentId: string,
  deps: PipelineDependencies,
): Promise<number> {
  if (run.evidenceTop <= 0 || !deps.embedding) return 0;
  const { embedder, modelIds } = deps.embedding;
  const screenings = new ScreeningRepository(deps.db);
  const lacking = await screenings.resultsLackingEvidence(run, run.evidenceTop);
  if (lacking.length === 0) return 0;
  const postingVector = await new EmbeddingRepository(deps.db).findVector(
    run.tenantId,
    postingDocumentId,
    modelIds.semantic,
  );
  if (!postingVector) {
    // The run's posting has no vector from this engine's model (a model switch under way): no evidence can be
    // quoted; empty rows say so, so that the run is not left waiting for it.
    await screenings.saveEvidence(
      run,
      lacking.map(({ documentId }) => ({ documentId, passages: [] })),
    );
    return lacking.length;
  }
  // Quoted before for these documents against this posting's document with this model: copied, not embedded
  // again (a re-run quotes exactly what the last one did, without inference).
  const quotedWith = { postingDocumentId, modelId: modelIds.semantic };
  const quoted = await screenings.findQuotedEvidence(
    run.tenantId,
    quotedWith,
    lacking.map((r) => r.documentId),
  );
  const documents = new DocumentRepository(deps.db);
  const options = { tenant: run.tenantId };
  // The semantic model alone where the engine offers it (half the inference of both models).
  const embed = (passages: string[]): Promise<ArrayLike<number>[]> =>
    embedder.embedSemantic
      ? embedder.embedSemantic(passages, options)
      : Promise.all(
          passages.map(async (p) => (await embedder.embed(p, 'evidence passage', options)).semantic),
        );
  const rows = await Promise.all(
    lacking.map(async ({ documentId }) => {
      const known = quoted.get(documentId);
      if (known) return { documentId, passages: known };
      const text = await documents.findText(run.tenantId, documentId);
      return { documentId, passages: text ? await bestPassages(embed, text, postingVector) : [] };
    }),
  );
  await screenings.saveEvidence(run, rows, quotedWith);
  return rows.length;
}
