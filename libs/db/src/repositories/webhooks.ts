import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import { queryRows, type Database } from '../client';
import { webhookAttempts, webhookDeliveries, webhookEndpoints, webhookEvents } from '../schema';

export type WebhookEventType = (typeof webhookEvents.$inferSelect)['type'];
export const WEBHOOK_EVENT_TYPES = webhookEvents.type.enumValues;

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: WebhookEventType[];
  enabled: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  createdAt: Date;
}

interface WebhookAttempt {
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  createdAt: Date;
}

export interface WebhookDelivery {
  id: string;
  endpointId: string;
  status: 'pending' | 'delivered' | 'failed';
  eventCount: number;
  createdAt: Date;
  finishedAt: Date | null;
  attempts: WebhookAttempt[];
}

/** What a delivery job needs: the endpoint's address and secret, the exact body, the attempts so far. */
export interface DeliveryToSend {
  id: string;
  tenantId: string;
  endpointId: string;
  status: 'pending' | 'delivered' | 'failed';
  body: string;
  url: string;
  secret: string;
  endpointEnabled: boolean;
  attempts: number;
}

const endpointColumns = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  events: webhookEndpoints.events,
  enabled: webhookEndpoints.enabled,
  disabledReason: webhookEndpoints.disabledReason,
  consecutiveFailures: webhookEndpoints.consecutiveFailures,
  createdAt: webhookEndpoints.createdAt,
};

/** Webhook endpoints, the events waiting for them, their deliveries and every attempt (all tenant-scoped). */
export class WebhookRepository {
  constructor(private readonly db: Database) {}

  /** Registers an endpoint; the secret is returned here only (the receiver checks signatures with it). */
  async createEndpoint(
    tenantId: string,
    url: string,
    events: WebhookEventType[],
  ): Promise<WebhookEndpoint & { secret: string }> {
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const [row] = await this.db
      .insert(webhookEndpoints)
      .values({ tenantId, url, events: [...new Set(events)], secret })
      .returning(endpointColumns);
    return { ...row!, secret };
  }

  async listEndpoints(tenantId: string): Promise<WebhookEndpoint[]> {
    return this.db
      .select(endpointColumns)
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.tenantId, tenantId))
      .orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id));
  }

  async findEndpoint(tenantId: string, id: string): Promise<WebhookEndpoint | undefined> {
    const [row] = await this.db
      .select(endpointColumns)
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)));
    return row;
  }

  /** Deletes an endpoint with its waiting events, deliveries and attempts; false when there was none. */
  async deleteEndpoint(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.db
      .delete(webhookEndpoints)
      .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)))
      .returning({ id: webhookEndpoints.id });
    return rows.length > 0;
  }

  /** Turns a disabled endpoint on again (after its receiver was fixed), its failure count back to zero. */
  async enableEndpoint(tenantId: string, id: string): Promise<void> {
    await this.db
      .update(webhookEndpoints)
      .set({ enabled: true, disabledReason: null, consecutiveFailures: 0 })
      .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)));
  }

  /** An endpoint's deliveries, newest first, each with its attempts. */
  async listDeliveries(tenantId: string, endpointId: string, limit: number): Promise<WebhookDelivery[]> {
    const deliveries = await this.db
      .select({
        id: webhookDeliveries.id,
        endpointId: webhookDeliveries.endpointId,
        status: webhookDeliveries.status,
        eventCount: webhookDeliveries.eventCount,
        createdAt: webhookDeliveries.createdAt,
        finishedAt: webhookDeliveries.finishedAt,
      })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.endpointId, endpointId)))
      .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
      .limit(limit);
    if (deliveries.length === 0) return [];
    const attempts = await this.db
      .select()
      .from(webhookAttempts)
      .where(
        and(
          eq(webhookAttempts.tenantId, tenantId),
          inArray(
            webhookAttempts.deliveryId,
            deliveries.map((d) => d.id),
          ),
        ),
      )
      .orderBy(asc(webhookAttempts.attempt));
    return deliveries.map((d) => ({
      ...d,
      attempts: attempts
        .filter((a) => a.deliveryId === d.id)
        .map(({ attempt, statusCode, error, durationMs, createdAt }) => ({
          attempt,
          statusCode,
          error,
          durationMs,
          createdAt,
        })),
    }));
  }

  /**
   * Gathers waiting events into deliveries: per endpoint, up to `perDelivery` events in one body (a bulk load
   * gives a few deliveries, not one per document). Concurrent workers take disjoint events (SKIP LOCKED).
   * Returns the new deliveries, for the caller to enqueue.
   */
  async gatherEvents(
    perDelivery: number,
    maxDeliveries: number,
  ): Promise<{ tenantId: string; deliveryId: string }[]> {
    const created: { tenantId: string; deliveryId: string }[] = [];
    const endpoints = await this.db
      .selectDistinct({ endpointId: webhookEvents.endpointId })
      .from(webhookEvents)
      .where(isNull(webhookEvents.deliveryId))
      .limit(maxDeliveries);
    for (const { endpointId } of endpoints) {
      const delivery = await this.db.transaction(async (tx) => {
        const events = await tx
          .select()
          .from(webhookEvents)
          .where(and(eq(webhookEvents.endpointId, endpointId), isNull(webhookEvents.deliveryId)))
          .orderBy(asc(webhookEvents.id))
          .limit(perDelivery)
          .for('update', { skipLocked: true });
        if (events.length === 0) return undefined;
        const tenantId = events[0]!.tenantId;
        const body = JSON.stringify({
          events: events.map((e) => ({
            id: `evt_${e.id}`,
            type: e.type,
            createdAt: e.createdAt.toISOString(),
            data: e.data,
          })),
        });
        const [row] = await tx
          .insert(webhookDeliveries)
          .values({ tenantId, endpointId, body, eventCount: events.length })
          .returning({ id: webhookDeliveries.id });
        await tx
          .update(webhookEvents)
          .set({ deliveryId: row!.id })
          .where(
            inArray(
              webhookEvents.id,
              events.map((e) => e.id),
            ),
          );
        return { tenantId, deliveryId: row!.id };
      });
      if (delivery) created.push(delivery);
    }
    return created;
  }

  /** Deliveries still pending after `seconds` (their job may have been lost between commit and enqueue). */
  async pendingDeliveries(
    olderThanSeconds: number,
    limit: number,
  ): Promise<{ tenantId: string; deliveryId: string }[]> {
    return this.db
      .select({ tenantId: webhookDeliveries.tenantId, deliveryId: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.status, 'pending'),
          lt(webhookDeliveries.createdAt, sql`now() - make_interval(secs => ${olderThanSeconds})`),
        ),
      )
      .limit(limit);
  }

  async findDelivery(tenantId: string, id: string): Promise<DeliveryToSend | undefined> {
    const [row] = await this.db
      .select({
        id: webhookDeliveries.id,
        tenantId: webhookDeliveries.tenantId,
        endpointId: webhookDeliveries.endpointId,
        status: webhookDeliveries.status,
        body: webhookDeliveries.body,
        url: webhookEndpoints.url,
        secret: webhookEndpoints.secret,
        endpointEnabled: webhookEndpoints.enabled,
        attempts: sql<number>`(SELECT count(*)::int FROM ${webhookAttempts} WHERE ${webhookAttempts.deliveryId} = ${webhookDeliveries.id})`,
      })
      .from(webhookDeliveries)
      .innerJoin(
        webhookEndpoints,
        and(
          eq(webhookEndpoints.tenantId, webhookDeliveries.tenantId),
          eq(webhookEndpoints.id, webhookDeliveries.endpointId),
        ),
      )
      .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.id, id)));
    return row;
  }

  async recordAttempt(
    tenantId: string,
    deliveryId: string,
    attempt: number,
    result: { statusCode?: number | undefined; error?: string | undefined; durationMs: number },
  ): Promise<void> {
    await this.db
      .insert(webhookAttempts)
      .values({
        tenantId,
        deliveryId,
        attempt,
        statusCode: result.statusCode ?? null,
        error: result.error ?? null,
        durationMs: Math.round(result.durationMs),
      })
      .onConflictDoNothing();
  }

  /** The receiver took it: the endpoint's run of failures ends. */
  async markDelivered(tenantId: string, delivery: { id: string; endpointId: string }): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx
        .update(webhookDeliveries)
        .set({ status: 'delivered', finishedAt: sql`now()` })
        .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.id, delivery.id)));
      await tx
        .update(webhookEndpoints)
        .set({ consecutiveFailures: 0 })
        .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, delivery.endpointId)));
    });
  }

  /**
   * Forgets deliveries that finished (delivered or failed) more than `days` days ago, with their attempts and
   * events; pending ones are kept whatever their age. Returns how many deliveries went. Nightly: one pass over the
   * finished deliveries and the events, without an index of their own.
   */
  async removeFinished(days: number): Promise<number> {
    const [row] = await queryRows<{ n: number }>(
      this.db,
      sql`WITH gone AS (
            DELETE FROM webhook_deliveries
            WHERE finished_at < now() - make_interval(days => ${days}::int)
            RETURNING id
          ), events AS (
            DELETE FROM webhook_events e USING gone g WHERE e.delivery_id = g.id
          )
          SELECT count(*)::int AS n FROM gone`,
    );
    return row!.n;
  }

  /**
   * Every attempt failed: the delivery ends `failed`, and an endpoint whose last `disableAfter` deliveries all
   * failed is disabled with the reason (it gets no new events until enabled again). Returns whether it was.
   */
  async markFailed(
    tenantId: string,
    delivery: { id: string; endpointId: string },
    disableAfter: number,
    lastError: string,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx
        .update(webhookDeliveries)
        .set({ status: 'failed', finishedAt: sql`now()` })
        .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.id, delivery.id)));
      const [endpoint] = await tx
        .update(webhookEndpoints)
        .set({ consecutiveFailures: sql`${webhookEndpoints.consecutiveFailures} + 1` })
        .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, delivery.endpointId)))
        .returning({ failures: webhookEndpoints.consecutiveFailures, enabled: webhookEndpoints.enabled });
      if (!endpoint || !endpoint.enabled || endpoint.failures < disableAfter) return false;
      await tx
        .update(webhookEndpoints)
        .set({
          enabled: false,
          disabledReason: `disabled after ${endpoint.failures} failed deliveries in a row; last: ${lastError}`,
        })
        .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, delivery.endpointId)));
      return true;
    });
  }
}
