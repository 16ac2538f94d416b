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
  /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;

/**
 * Metadata as JSON: an object, nested at most METADATA_LIMITS.depth deep, at most METADATA_LIMITS.bytes as JSON,
 * every key and string storable. Walks iteratively, so hostile nesting cannot exhaust the stack.
 */
export function checkMetadata(value: unknown, field: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidIntakeError(field, 'must be a JSON object');
  }
  const pending: { value: unknown; path: string; depth: number }[] = [{ value, path: field, depth: 1 }];
  while (pending.length > 0) {
    const { value: node, path, depth } = pending.pop()!;
    if (typeof node === 'string') {
      checkText(node, path);
      continue;
    }
    if (typeof node !== 'object' || node === null) continue;
    if (depth > METADATA_LIMITS.depth) {
      throw new InvalidIntakeError(path, `nests deeper than ${METADATA_LIMITS.depth} levels`);
    }
    if (Array.isArray(node)) {
      node.forEach((item, i) => pending.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 }));
      continue;
    }
    for (const [key, item] of Object.entries(node)) {
      const problem = textProblem(key);
      if (problem) throw new InvalidIntakeError(`${path} key ${JSON.stringify(key)}`, problem);
      pending.push({ value: item, path: keyPath(path, key), depth: depth + 1 });
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > METADATA_LIMITS.bytes) {
    throw new InvalidIntakeError(
      field,
      `is ${bytes} bytes as JSON, over the limit of ${METADATA_LIMITS.bytes}`,
    );
  }
}
