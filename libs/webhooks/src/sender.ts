import { lookup } from 'node:dns';
import { Agent, request } from 'undici';
import { coerceError } from '@shortlist/config';
import type { EgressPolicy } from './egress';
import { SIGNATURE_HEADER, sign } from './signature';

export interface DeliveryAttempt {
  /** The receiver's status; undefined when no answer came. */
  statusCode?: number;
  /** Why the attempt failed, in one line; undefined on a 2xx. */
  error?: string;
  durationMs: number;
}

export interface WebhookRequest {
  url: string;
  secret: string;
  body: string;
  deliveryId: string;
  attempt: number;
}

/**
 * Signs and POSTs deliveries, connecting only where the egress policy allows: the destination is checked before
 * each attempt, and the addresses DNS gives at connection time are checked again (no rebinding to an internal
 * address between the two). Redirects are not followed; anything but a 2xx within the timeout is a failure.
 */
export class WebhookSender {
  private readonly agent: Agent;

  constructor(
    private readonly policy: EgressPolicy,
    private readonly timeoutMs: number,
  ) {
    this.agent = new Agent({
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: {
        timeout: timeoutMs,
        lookup: (hostname, options, callback) => {
          lookup(hostname, { ...options, all: true }, (error, addresses) => {
            if (error) return callback(error, '', 4);
            const refused = addresses
              .map((a) => policy.refuseAddress(a.address))
              .find((r) => r !== undefined);
            if (refused) return callback(new Error(`host ${hostname}: ${refused}`), '', 4);
            if ((options as { all?: boolean }).all) {
              return (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
            }
            callback(null, addresses[0]!.address, addresses[0]!.family);
          });
        },
      },
    });
  }

  async send(delivery: WebhookRequest): Promise<DeliveryAttempt> {
    const started = performance.now();
    const took = () => performance.now() - started;
    const refused = await this.policy.refuseDestination(delivery.url);
    if (refused) return { error: `refused by the egress policy: ${refused}`, durationMs: took() };
    try {
      const response = await request(delivery.url, {
        method: 'POST',
        dispatcher: this.agent,
        body: delivery.body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Shortlist-Webhooks/1',
          [SIGNATURE_HEADER]: sign(delivery.secret, delivery.body, Math.floor(Date.now() / 1000)),
          'shortlist-delivery': delivery.deliveryId,
          'shortlist-attempt': String(delivery.attempt),
        },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.body.dump();
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      return {
        statusCode: response.statusCode,
        ...(ok ? {} : { error: `the receiver answered ${response.statusCode}` }),
        durationMs: took(),
      };
    } catch (error) {
      // fetch's "fetch failed" says less than its cause (ECONNREFUSED, a TLS error, ...).
      const { cause, message } = coerceError(error);
      return { error: `no answer: ${cause instanceof Error ? cause.message : message}`, durationMs: took() };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
