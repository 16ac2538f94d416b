import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiKeyRepository, type Database } from '@shortlist/db';
import { HttpError } from './http-error';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant of the request's API key: every query of a /v1 route is scoped to it. */
    tenantId: string;
  }
}

/** Bearer API keys on every /v1 route; only key hashes are stored (`shortlist keys create --tenant NAME`). */
export function installAuth(app: FastifyInstance, db: Database): void {
  const keys = new ApiKeyRepository(db);
  app.decorateRequest('tenantId', '');
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (!request.url.startsWith('/v1/')) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      throw new HttpError(401, 'unauthorized', 'send an API key as `Authorization: Bearer <key>`');
    }
    const owner = await keys.findTenantOfKey(match[1]!);
    if (!owner) throw new HttpError(401, 'unauthorized', 'unknown or revoked API key');
    request.tenantId = owner.tenantId;
  });
}
