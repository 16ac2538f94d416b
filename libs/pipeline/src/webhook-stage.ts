import { WebhookRepository } from '@shortlist/db';
import type { JobPayload } from '@shortlist/queue';
import type { DeliveryAttempt, WebhookRequest } from '@shortlist/webhooks';
import type { PipelineDependencies } from './dependencies';
import { done, skipped, type StageOutcome } from './outcome';

/** How deliveries are sent and retried (the worker provides it; without it, webhook jobs wait). */
export interface WebhookDelivery {
  send: (request: WebhookRequest) => Promise<DeliveryAttempt>;
  /** Attempts of each delivery before it ends `failed`. */
  attempts: number;
  /** Wait before the second attempt; doubled after each failure. */
  backoffSeconds: number;
  /** Failed deliveries in a row that disable the endpoint. */
  disableAfter: number;
  /** Days a finished delivery stays listable (the nightly job removes older ones). */
  retentionDays: number;
}

/** Events gathered per delivery: a bulk load of 10,000 documents makes 100 deliveries, not 10,000. */
const EVENTS_PER_DELIVERY = 100;

/**
 * Gathers the events the database recorded into deliveries and enqueues them; also re-enqueues deliveries whose
 * job was lost (a crash between their commit and the enqueue). Called every second by the worker.
 */
export async function dispatchWebhookEvents(deps: PipelineDependencies): Promise<number> {
  const webhooks = new WebhookRepository(deps.db);
  const deliveries = [
    ...(await webhooks.gatherEvents(EVENTS_PER_DELIVERY, 50)),
    ...(await webhooks.pendingDeliveries(60, 100)),
  ];
  for (const payload of deliveries) await deps.enqueue('webhook', payload);
  return deliveries.length;
}

/**
 * One attempt of a delivery: sent signed, recorded, then done (2xx), scheduled again with backoff, or failed
 * for good after the last attempt — which may disable the endpoint. Attempts are counted in the database, so a
 * redelivered job never sends more than `attempts` times.
 */
export async function handleWebhook(
  { tenantId, deliveryId }: JobPayload<'webhook'>,
  deps: PipelineDependencies,
): Promise<StageOutcome> {
  if (!deps.webhooks) throw new Error('this process does not deliver webhooks');
  const { send, attempts, backoffSeconds, disableAfter } = deps.webhooks;
  const webhooks = new WebhookRepository(deps.db);
  const delivery = await webhooks.findDelivery(tenantId, deliveryId);
  if (!delivery) return skipped('endpoint_deleted');
  if (delivery.status !== 'pending') return skipped(`already_${delivery.status}`);
  if (!delivery.endpointEnabled) {
    await webhooks.markFailed(tenantId, delivery, disableAfter, 'the endpoint is disabled');
    return skipped('endpoint_disabled');
  }
  const attempt = delivery.attempts + 1;
  const result = await send({
    url: delivery.url,
    secret: delivery.secret,
    body: delivery.body,
    deliveryId,
    attempt,
  });
  await webhooks.recordAttempt(tenantId, deliveryId, attempt, result);
  if (result.error === undefined) {
    await webhooks.markDelivered(tenantId, delivery);
    return done;
  }
  if (attempt < attempts) {
    return {
      outcome: 'deferred',
      reason: result.error,
      retryInMs: backoffSeconds * 1000 * 2 ** (attempt - 1),
    };
  }
  await webhooks.markFailed(tenantId, delivery, disableAfter, result.error);
  return skipped('delivery_failed');
}
