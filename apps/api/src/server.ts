import AjvCompiler from '@fastify/ajv-compiler';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { PassThrough } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { coerceError, type Config } from '@shortlist/config';
import { checkDatabase, type DatabaseHandle } from '@shortlist/db';
import { InvalidIntakeError, checkStorable } from '@shortlist/pipeline';
import { JobQueues } from '@shortlist/queue';
import type { ObjectStore } from '@shortlist/storage';
import { EgressPolicy } from '@shortlist/webhooks';
import { installAuth } from './auth';
import { BodyStalledError, DocumentIntake, MAX_UPLOAD_FILES } from './document-intake';
import { installDocumentedErrors } from './documented-errors';
import { HttpError, installErrorHandler, unsupportedMediaType } from './http-error';
import { installIdempotency } from './idempotency';
import { installMetrics, serveMetrics } from './metrics';
import { adminRoutes } from './routes/admin';
import { documentRoutes } from './routes/documents';
import { domainSetRoutes } from './routes/domain-sets';
import { healthRoutes, type ReadinessCheck } from './routes/health';
import { screeningRoutes } from './routes/screenings';
import { webhookRoutes } from './routes/webhooks';

interface ServerDependencies {
  database: DatabaseHandle;
  redis: Redis;
  store: ObjectStore;
}

export interface ServerOptions extends ServerDependencies {
  logLevel: string;
  redisPrefix: string;
  ingest: Config['ingest'];
  adminToken?: string | undefined;
  /** WEBHOOK_ALLOWLIST: where endpoints may be registered (empty: public addresses only). */
  webhookAllowlist?: string[];
  /** Serve /metrics on this port (0: any free one), apart from the public port; unset: no /metrics. */
  metrics?: { port: number; host: string } | undefined;
}

/** What /readyz asks: each service the API cannot serve requests without. */
function readinessChecks({ database, redis, store }: ServerDependencies): ReadinessCheck[] {
  return [
    { name: 'postgres', check: () => checkDatabase(database.db) },
    { name: 'redis', check: () => (redis.status === 'wait' ? redis.connect() : redis.ping()) },
    { name: 's3', check: () => store.checkReachable() },
  ];
}

type ValidatorBuilder = ReturnType<typeof AjvCompiler>;

/**
 * Fastify's validators, except that a JSON body is taken as sent: Fastify's defaults coerce types (`null` became
 * threshold 0) and silently drop unknown properties (`params.x`), which suits query strings, not bodies. Bodies
 * are validated without coercion, and an unknown property is a 400 naming it. Query numbers must be finite.
 */
function strictBodyValidator(
  externalSchemas: Parameters<ValidatorBuilder>[0],
  ajv: { customOptions?: object } | undefined,
) {
  const build = AjvCompiler();
  const loose = build(externalSchemas, ajv);
  const strict = build(externalSchemas, {
    ...ajv,
    customOptions: { ...ajv?.customOptions, coerceTypes: false, removeAdditional: false },
  });
  return (route: Parameters<ReturnType<ValidatorBuilder>>[0]) => {
    if (route.httpPart === 'body') return strict(route);
    const validate = loose(route);
    if (route.httpPart !== 'querystring') return validate;
    // Ajv coerces "Infinity" to a number that passes `integer` and `maximum`: a query number must be finite.
    const finite = Object.assign(
      (data: unknown) => {
        const valid = validate(data);
        finite.errors = validate.errors;
        if (!valid) return false;
        const [name] =
          Object.entries(data as object).find(([, v]) => typeof v === 'number' && !isFinite(v)) ?? [];
        if (name === undefined) return true;
        finite.errors = [
          {
            instancePath: `/${name}`,
            schemaPath: '#/type',
            keyword: 'type',
            params: {},
            message: 'must be finite',
          },
        ];
        return false;
      },
      { errors: validate.errors },
    );
    return Object.assign(finite, {
      schema: validate.schema,
      schemaEnv: validate.schemaEnv,
    }) as unknown as typeof validate;
  };
}

/**
 * A non-multipart body (JSON) that stops arriving for `timeoutMs` is answered 400 body_timeout and its connection
 * closed, as a multipart one is (document-intake's stalledAfter): the parser would otherwise wait for as long as
 * the client keeps the connection open.
 */
function watchJsonBodies(app: FastifyInstance, timeoutMs: number): void {
  app.addHook('preParsing', async (request, reply, payload) => {
    const length = request.headers['content-length'];
    const hasBody = (length !== undefined && length !== '0') || request.headers['transfer-encoding'];
    // Multipart bodies are read by their route, which watches them itself (request.isMultipart() is not set yet).
    const multipartBody = /^multipart\//i.test(request.headers['content-type'] ?? '');
    if (!hasBody || multipartBody || request.raw.complete) return payload;
    const watched = new PassThrough();
    const timer = setTimeout(() => {
      // The request itself stays open (destroying it would take the socket, and the answer, with it).
      payload.unpipe(watched);
      void reply.header('connection', 'close');
      watched.destroy(new BodyStalledError(timeoutMs / 1000));
    }, timeoutMs);
    payload.on('data', () => timer.refresh());
    payload.once('close', () => clearTimeout(timer));
    // Answered without reading the body (a refused content type, say): nothing is waiting for it.
    reply.raw.once('close', () => clearTimeout(timer));
    payload.once('end', () => clearTimeout(timer));
    payload.once('error', (error) => watched.destroy(error));
    payload.pipe(watched);
    return watched;
  });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads multipart/form-data bodies itself (uploads); every other route takes JSON only. */
    multipart?: boolean;
  }
}

/**
 * Bodies are JSON, or multipart where a route declares it: anything else is 415 naming the media type. Fastify's
 * own text/plain parser, and the multipart plugin's parser on every route, would hand a JSON route a string or
 * nothing, answered 400 "body must be object", which names the wrong problem.
 */
function acceptJsonOrDeclaredMultipart(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.isMultipart() && !request.routeOptions.config.multipart) {
      return done(unsupportedMediaType(request, 'multipart/form-data'));
    }
    done();
  });
}

/**
 * Every string a request sends (query parameters, JSON body) must be one PostgreSQL can store: U+0000 or a lone
 * surrogate is a 400 naming the parameter or field, before any route runs, instead of a 500 from the first query
 * that meets it (or a lone surrogate silently turned into U+FFFD on the way to UTF-8).
 */
function refuseUnstorableText(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    try {
      checkStorable(request.query, 'query');
      if (!request.isMultipart()) checkStorable(request.body, 'body');
    } catch (error) {
      return done(
        error instanceof InvalidIntakeError
          ? new HttpError(400, 'invalid_request', error.message)
          : coerceError(error),
      );
    }
    done();
  });
}

/** The HTTP API, built from its dependencies (so tests can start it on real services with port 0). */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: options.logLevel },
    // JSON batches of up to 10,000 documents; uploads stream through multipart and are capped per file.
    bodyLimit: 64 * 1024 * 1024,
    schemaController: { compilersFactory: { buildValidator: strictBodyValidator } },
    // A path that is not valid percent-encoding (`/v1/documents/%ff`) is answered before routing: in the error
    // shape of every other answer.
    frameworkErrors: (error, _request, reply) =>
      void (reply as FastifyReply)
        .code(400)
        .send({ error: 'invalid_request', message: `the request's path: ${error.message}` }),
  });
  const queues = new JobQueues(options.redis, options.redisPrefix);
  app.addHook('onClose', () => queues.close());

  // The OpenAPI document is the contract (apps/api/openapi.json, `npm run openapi`); 3.1: its schemas are JSON
  // Schema, as the routes declare them (types that include null, examples), so clients can validate with them.
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Shortlist',
        version: '0.1.0',
        description:
          'Screen resumes against job descriptions with sentence embeddings.\n\n' +
          'Every request under /v1 sends an API key as `Authorization: Bearer <key>`; every query is scoped to its ' +
          'tenant. Every error answer (4xx, 5xx) is JSON `{error, message}`: `error` a stable code, `message` ' +
          'naming the field or the reason; some add fields (listed with the response). Every POST accepts an ' +
          '`Idempotency-Key` header: a retry with the same key within 24 hours gets the first answer.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(multipart, {
    // One byte over our own cap, so the store's limiter refuses first, with a message naming the file.
    limits: {
      fileSize: options.ingest.maxDocumentBytes + 1,
      files: MAX_UPLOAD_FILES,
      // `kind`, and an `externalId` field per file.
      fields: MAX_UPLOAD_FILES + 20,
      parts: 2 * MAX_UPLOAD_FILES + 100,
    },
  });
  installErrorHandler(app);
  acceptJsonOrDeclaredMultipart(app);
  refuseUnstorableText(app);
  watchJsonBodies(app, options.ingest.bodyReadTimeoutMs);
  installAuth(app, options.database.db);
  installIdempotency(app, options.database.db);
  installDocumentedErrors(app);
  const registry = installMetrics(app, options.database.db, queues);
  if (options.metrics) serveMetrics(app, registry, options.metrics.port, options.metrics.host);
  healthRoutes(app, readinessChecks(options));
  const intake = new DocumentIntake(options.database.db, options.store, queues, options.ingest);
  documentRoutes(app, { db: options.database.db, store: options.store, queues, intake });
  screeningRoutes(app, { db: options.database.db, queues, intake });
  domainSetRoutes(app, { db: options.database.db, queues });
  webhookRoutes(app, { db: options.database.db, egress: new EgressPolicy(options.webhookAllowlist ?? []) });
  await adminRoutes(app, queues, options.adminToken);
  return app;
}
