export { EgressPolicy } from './egress';
export { WebhookSender } from './sender';
export type { DeliveryAttempt, WebhookRequest } from './sender';
export { SIGNATURE_HEADER, sign, verify } from './signature';
