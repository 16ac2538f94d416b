import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyRepository, type Database } from '@shortlist/db';
import { HttpError } from './http-error';

/** What a route needs of its caller: `tenant`, a valid API key (its tenant scopes every query); `public`, nothing. */
type RouteAuth = 'tenant' | 'public';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant of the request's API key: every query of a /v1 route is scoped to it. */
    tenantId: string;
  }
  interface FastifyContextConfig {
    /** Declared by every route of the API under /v1 (`tenant`); see installAuth. */
    auth?: RouteAuth;
  }
}

/** A route under /v1 registered without `config: { auth: 'tenant' }`: a programming error, found at start. */
export class UndeclaredAuthError extends Error {
  override readonly name = 'UndeclaredAuthError';
}

/**
 * Bearer API keys, decided per route, not per path: every route under /v1 must declare `config: { auth: 'tenant' }`
 * (registering one that does not throws), and each such route gets its own onRequest hook. The hook is the route's,
 * so whatever spelling of the path reached it (`/%76%31/...`, the absolute form `http://host/v1/...`) is
 * authenticated; and onRequest runs before the body is read: a request refused here never has its body parsed,
 * and its connection is closed rather than read to the end. Only key hashes are stored
 * (`shortlist keys create --tenant NAME`).
 */
export function installAuth(app: FastifyInstance, db: Database): void {
  const keys = new ApiKeyRepository(db);
  app.decorateRequest('tenantId', '');

  const refuse = (reply: FastifyReply, message: string): HttpError => {
    // The body (perhaps megabytes) is not read: close the connection instead of draining it.
    reply.header('connection', 'close');
    return new HttpError(401, 'unauthorized', message);
  };
  const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match) throw refuse(reply, 'send an API key as `Authorization: Bearer <key>`');
    const owner = await keys.findTenantOfKey(match[1]!);
    if (!owner) throw refuse(reply, 'unknown or revoked API key');
    request.tenantId = owner.tenantId;
  };

  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth;
    if (auth === undefined && /^\/v\d/.test(route.url)) {
      throw new UndeclaredAuthError(
        `route ${String(route.method)} ${route.url} declares no authentication: add config: { auth: 'tenant' }`,
      );
    }
    if (auth !== 'tenant') return;
    const own = route.onRequest === undefined ? [] : [route.onRequest].flat();
    route.onRequest = [authenticate, ...own];
  });
}
