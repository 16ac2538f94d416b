import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { apiClient, checkedFetch } from '../support/api-client/client';
import {
  ContractChecker,
  ContractViolation,
  loadSpec,
  operationsOf,
  type JsonSchema,
  type MediaTypeObject,
  type OperationObject,
} from '../support/api-client/contract';

const spec = loadSpec();
const operations = operationsOf(spec);
const name = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

/**
 * Operations the integration tests do not call through the typed client (`client.GET('/v1/...')`), each with the
 * reason. A new route is called by a test, or listed here with why not.
 */
const NOT_CALLED_BY_THE_CLIENT: Record<string, string> = {
  // 'GET /v1/example': 'why no test calls it through the client',
};

/** The statuses every operation answers by what it is (see apps/api/src/documented-errors.ts). */
function expectedStatuses(method: string, path: string, operation: OperationObject): string[] {
  const statuses = ['500'];
  // Fastify reads a body sent with any method but GET and HEAD, declared or not: it can be too large, of a media
  // type the route does not take, or not parse.
  const readsBody = method !== 'get' && method !== 'head';
  const takesInput = (operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined;
  if (takesInput || readsBody) statuses.push('400');
  if (operation.security?.length) statuses.push('401');
  if (readsBody) statuses.push('413', '415');
  if (/^\/v\d/.test(path)) statuses.push('503');
  if (method === 'post' && /^\/v\d/.test(path)) statuses.push('409', '422'); // Idempotency-Key
  return statuses;
}

/** Each schema object inside `schema` (properties, items, combinations), with its JSON pointer. */
function* subschemas(schema: JsonSchema, pointer: string): Generator<[string, JsonSchema]> {
  yield [pointer, schema];
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' || key === 'patternProperties') {
      for (const [property, sub] of Object.entries(value as Record<string, JsonSchema>))
        yield* subschemas(sub, `${pointer}/${key}/${property}`);
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not') {
      if (typeof value === 'object' && value !== null)
        yield* subschemas(value as JsonSchema, `${pointer}/${key}`);
    } else if (key === 'anyOf' || key === 'oneOf' || key === 'allOf') {
      for (const [i, sub] of (value as JsonSchema[]).entries())
        yield* subschemas(sub, `${pointer}/${key}/${i}`);
    }
  }
}

/** Every media type object of the document (request bodies and responses), with where it is. */
function mediaTypes(): { where: string; status?: string; media: MediaTypeObject; mediaType: string }[] {
  return operations.flatMap(({ method, path, operation }) => [
    ...Object.entries(operation.requestBody?.content ?? {}).map(([mediaType, media]) => ({
      where: `${name(method, path)} request body (${mediaType})`,
      media,
      mediaType,
    })),
    ...Object.entries(operation.responses).flatMap(([status, response]) =>
      Object.entries(response.content ?? {}).map(([mediaType, media]) => ({
        where: `${name(method, path)} ${status} (${mediaType})`,
        status,
        media,
        mediaType,
      })),
    ),
  ]);
}

describe('the OpenAPI document is the contract', () => {
  let stack: ApiStack;

  beforeAll(async () => {
    stack = await startApiStack();
  }, 120_000);
  afterAll(() => stack?.stop());

  it('is committed as the server serves it at /docs/json (npm run openapi writes it)', async () => {
    const served: unknown = await (await fetch(`${stack.base}/docs/json`)).json();
    expect(served).toEqual(spec);
    expect(spec.openapi).toBe('3.1.0');
    expect(operations.length).toBeGreaterThanOrEqual(24);
  });

  it('documents, for every operation, a success answer and each error it can give, in the error shape', () => {
    const problems: string[] = [];
    for (const { method, path, operation } of operations) {
      const statuses = Object.keys(operation.responses);
      const op = name(method, path);
      if (!operation.summary && /^\/v\d/.test(path)) problems.push(`${op}: no summary`);
      const success = statuses.filter((s) => /^2\d\d$/.test(s));
      if (success.length === 0) problems.push(`${op}: no 2xx response`);
      for (const status of success) {
        const { content } = operation.responses[status]!;
        if (status === '204' ? content !== undefined : !Object.values(content ?? {}).every((m) => m.schema))
          problems.push(`${op} ${status}: ${status === '204' ? 'a body' : 'no schema'}`);
      }
      for (const status of expectedStatuses(method, path, operation)) {
        if (!statuses.includes(status)) problems.push(`${op}: ${status} not documented`);
      }
      for (const status of statuses.filter((s) => /^[45]\d\d$/.test(s))) {
        if (path === '/readyz' && status === '503') continue; // its own body: which check failed
        const schema = operation.responses[status]!.content?.['application/json']?.schema;
        const shape = schema as { required?: string[]; properties?: Record<string, { type?: string }> };
        if (
          !shape?.required?.includes('error') ||
          !shape.required.includes('message') ||
          shape.properties?.error?.type !== 'string' ||
          shape.properties.message?.type !== 'string'
        ) {
          problems.push(`${op} ${status}: not the error shape {error, message}`);
        }
      }
      if (method === 'post' && /^\/v\d/.test(path)) {
        if (!operation.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'))
          problems.push(`${op}: Idempotency-Key header not documented`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('lists what is required of every object it describes, and gives an example of every body', () => {
    const problems: string[] = [];
    for (const { where, status, media, mediaType } of mediaTypes()) {
      if (!media.schema) continue;
      for (const [pointer, schema] of subschemas(media.schema, '#')) {
        if (schema.properties && !Array.isArray(schema.required))
          problems.push(`${where} ${pointer}: no required list`);
      }
      const isError = status !== undefined && /^[45]/.test(status);
      if (!isError && mediaType === 'application/json' && media.example === undefined && !media.examples)
        problems.push(`${where}: no example`);
    }
    expect(problems).toEqual([]);
  });

  it('holds examples that its own schemas accept', () => {
    const checker = new ContractChecker(spec);
    const problems: string[] = [];
    let checked = 0;
    const validate = (where: string, schema: JsonSchema, example: unknown) => {
      const { examples: _, ...bare } = schema;
      const valid = checker.validator(`example ${where} ${JSON.stringify(bare)}`, bare);
      checked++;
      if (!valid(example)) problems.push(`${where}: ${JSON.stringify(valid.errors)}`);
    };
    for (const { where, media } of mediaTypes()) {
      if (!media.schema) continue;
      if (media.example !== undefined) validate(where, media.schema, media.example);
      for (const [key, { value }] of Object.entries(media.examples ?? {}))
        validate(`${where} ${key}`, media.schema, value);
      for (const [pointer, schema] of subschemas(media.schema, '#')) {
        for (const example of (schema.examples as unknown[] | undefined) ?? [])
          validate(`${where} ${pointer}`, schema, example);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('refuses an answer with a status or a body the document does not have', () => {
    const checker = new ContractChecker(spec);
    const json = 'application/json; charset=utf-8';
    expect(() => checker.check('get', '/healthz', 200, json, '{"status":"ok"}')).not.toThrow();
    expect(() => checker.check('get', '/healthz', 418, json, '{}')).toThrow(
      /418, a status it does not document/,
    );
    expect(() => checker.check('get', '/healthz', 200, json, '{"status":1}')).toThrow(
      /body\/status must be string/,
    );
    expect(() => checker.check('get', '/healthz', 200, 'text/plain', 'ok')).toThrow(ContractViolation);
    expect(() => checker.check('get', '/v1/documents/{id}', 404, json, '{"error":"not_found"}')).toThrow(
      /must have required property 'message'/,
    );
    expect(() => checker.check('delete', '/v1/documents/{id}', 204, null, '')).not.toThrow();
    const replayed = (value: string) => new Headers({ 'idempotent-replayed': value });
    const accepted = '{"documents":[]}';
    expect(() => checker.check('post', '/v1/documents', 202, json, accepted, replayed('true'))).not.toThrow();
    expect(() => checker.check('post', '/v1/documents', 202, json, accepted, replayed('yes'))).toThrow(
      /header idempotent-replayed: yes/,
    );
    expect(checker.templateOf('/v1/screenings/0f/export.csv')).toBe('/v1/screenings/{runId}/export.csv');
    expect(checker.templateOf('/v1/documents/0f')).toBe('/v1/documents/{id}');
    expect(checker.templateOf('/v1/nothing')).toBeUndefined();
  });

  it('answers a body of a media type the route does not take 415, and one that does not parse 400', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const send = (method: string, path: string, contentType: string, body: string) =>
      checkedFetch(`${stack.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${stack.keys.acme}`, 'content-type': contentType },
        body,
      });
    const xml = await send('DELETE', `/v1/webhooks/${id}`, 'application/xml', '<webhook/>');
    expect(xml.status).toBe(415);
    expect(await xml.json()).toMatchObject({ error: 'unsupported_media_type' });
    const broken = await send('POST', `/v1/documents/${id}/retry`, 'application/json', '{"half":');
    expect(broken.status).toBe(400);
    // A path that is not valid percent-encoding: the same error shape as every answer.
    const badPath = await fetch(`${stack.base}/v1/documents/%ff`, {
      headers: { authorization: `Bearer ${stack.keys.acme}` },
    });
    expect({ status: badPath.status, body: await badPath.json() }).toEqual({
      status: 400,
      body: { error: 'invalid_request', message: expect.stringMatching(/^the request's path: /) as string },
    });
    // A string PostgreSQL cannot store, anywhere in any body: 400 naming it, before the route runs.
    for (const [path, body, named] of [
      ['/v1/webhooks', '{"url":"https://example.com/\\u0000","events":["document.ready"]}', 'body.url'],
      [
        '/v1/domain-sets',
        '{"name":"ok","base":"card","domains":[{"key":"bio","description":"x\\u0000"}]}',
        'body.domains[0].description',
      ],
      ['/v1/documents', '{"kind":"resume","text":"Resume: \\ud800 Kotlin"}', 'body.text'],
    ] as const) {
      const refused = await send('POST', path, 'application/json', body);
      const answer = (await refused.json()) as { error: string; message: string };
      const start = `${named}: contains`;
      expect({
        path,
        status: refused.status,
        error: answer.error,
        message: answer.message.slice(0, start.length),
      }).toEqual({ path, status: 400, error: 'invalid_request', message: start });
    }
    // A JSON route sent plain text or a form: the media type is the problem, not the body's shape.
    const text = await send('POST', '/v1/postings', 'text/plain', 'Data engineer: kafka and spark');
    expect({ status: text.status, body: await text.json() }).toMatchObject({
      status: 415,
      body: {
        error: 'unsupported_media_type',
        message: 'POST /v1/postings takes application/json, not text/plain',
      },
    });
    const form = new FormData();
    form.append('title', 'Data engineer');
    const multipart = await checkedFetch(`${stack.base}/v1/postings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.keys.acme}` },
      body: form,
    });
    expect({ status: multipart.status, body: await multipart.json() }).toMatchObject({
      status: 415,
      body: {
        error: 'unsupported_media_type',
        message: 'POST /v1/postings takes application/json, not multipart/form-data',
      },
    });
  });

  it('makes the typed client fail on an answer the document does not allow', async () => {
    const anonymous = stack.client();
    expect((await anonymous.GET('/v1/webhooks')).response.status).toBe(401);
    const without401 = structuredClone(spec);
    delete without401.paths['/v1/webhooks']!.get!.responses['401'];
    const strict = apiClient(stack.base, undefined, new ContractChecker(without401));
    await expect(strict.GET('/v1/webhooks')).rejects.toThrow(
      /GET \/v1\/webhooks answered 401, a status it does not document/,
    );
  });

  it('has every operation called by an integration test through the typed client', () => {
    const folder = __dirname;
    const called = new Set<string>();
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.test.ts'))) {
      const text = readFileSync(join(folder, file), 'utf8');
      for (const match of text.matchAll(/\.(GET|PUT|POST|DELETE|PATCH)\(\s*'([^']+)'/g))
        called.add(name(match[1]!, match[2]!));
    }
    const missing = operations
      .map(({ method, path }) => name(method, path))
      .filter((op) => !called.has(op) && !(op in NOT_CALLED_BY_THE_CLIENT));
    expect(missing).toEqual([]);
    const stale = Object.keys(NOT_CALLED_BY_THE_CLIENT).filter(
      (op) => called.has(op) || !operations.some(({ method, path }) => name(method, path) === op),
    );
    expect(stale).toEqual([]);
  });
});
