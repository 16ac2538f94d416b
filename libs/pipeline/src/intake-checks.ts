/**
 * Checks an intake makes before it stores anything: values PostgreSQL would refuse (and so fail a request after
 * its bytes were written) are refused up front, naming the field.
 */

/** Metadata is free-form JSON, bounded: its size as JSON (UTF-8) and how deep objects and arrays nest. */
const METADATA_LIMITS = { bytes: 16 * 1024, depth: 32 } as const;

/** A value a client sent that cannot be accepted; `field` names it (`documents[2].metadata.a`, `file[0].filename`). */
export class InvalidIntakeError extends Error {
  override readonly name = 'InvalidIntakeError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** Why PostgreSQL could not store this string (in text or jsonb), or undefined when it can. */
function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains U+0000 (NUL), which cannot be stored';
  // With the u flag a paired surrogate is one code point: \p{Cs} matches only lone halves.
  if (/\p{Cs}/u.test(value)) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

/** Throws InvalidIntakeError naming `field` when the string cannot be stored. */
export function checkText(value: string, field: string): void {
  const problem = textProblem(value);
  if (problem) throw new InvalidIntakeError(field, problem);
}

/** Length bounds of a client's own id for a document (`externalId`), in characters. */
export const EXTERNAL_ID_LENGTH = { min: 1, max: 200 } as const;

/** Throws InvalidIntakeError naming `field` unless `value` is a storable string of 1 to 200 characters. */
export function checkExternalId(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string') throw new InvalidIntakeError(field, 'must be a string');
  const length = [...value].length;
  if (length < EXTERNAL_ID_LENGTH.min || length > EXTERNAL_ID_LENGTH.max) {
    throw new InvalidIntakeError(
      field,
      `must be ${EXTERNAL_ID_LENGTH.min} to ${EXTERNAL_ID_LENGTH.max} characters (has ${length})`,
    );
  }
  checkText(value, field);
}

const keyPath = (path: string, key: string) =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? `${path ? `${path}.` : ''}${key}` : `${path}[${JSON.stringify(key)}]`;

/**
 * Visits every value of a JSON value with its path (`documents[2].metadata.a`) and depth (the value itself: 1),
 * refusing a key PostgreSQL cannot store. Iterative, so hostile nesting cannot exhaust the stack.
 */
function walkJson(
  value: unknown,
  path: string,
  visit: (node: unknown, path: string, depth: number) => void,
): void {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value, path, depth: 1 }];
  while (pending.length > 0) {
    const { value: node, path: at, depth } = pending.pop()!;
    visit(node, at, depth);
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      node.forEach((item, i) => pending.push({ value: item, path: `${at}[${i}]`, depth: depth + 1 }));
      continue;
    }
    for (const [key, item] of Object.entries(node)) {
      const problem = textProblem(key);
      if (problem) throw new InvalidIntakeError(`${at} key ${JSON.stringify(key)}`, problem);
      pending.push({ value: item, path: keyPath(at, key), depth: depth + 1 });
    }
  }
}

/**
 * Throws InvalidIntakeError naming the first string or key of a JSON value that PostgreSQL cannot store, by its
 * path from `root` (`body.documents[2].metadata.note`).
 */
export function checkStorable(value: unknown, root: string): void {
  walkJson(value, root, (node, at) => {
    if (typeof node === 'string') checkText(node, at);
  });
}

/**
 * Metadata as JSON: an object, nested at most METADATA_LIMITS.depth deep, at most METADATA_LIMITS.bytes as JSON,
 * every key and string storable.
 */
export function checkMetadata(value: unknown, field: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidIntakeError(field, 'must be a JSON object');
  }
  walkJson(value, field, (node, path, depth) => {
    if (typeof node === 'string') checkText(node, path);
    else if (typeof node === 'object' && node !== null && depth > METADATA_LIMITS.depth) {
      throw new InvalidIntakeError(path, `nests deeper than ${METADATA_LIMITS.depth} levels`);
    }
  });
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > METADATA_LIMITS.bytes) {
    throw new InvalidIntakeError(
      field,
      `is ${bytes} bytes as JSON, over the limit of ${METADATA_LIMITS.bytes}`,
    );
  }
}
