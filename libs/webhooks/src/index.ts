export { EgressPolicy } from './egress';
export { WebhookSender } from './sender';
export type { DeliveryAttempt, WebhookRequest } from './sender';
export { verify } from './signature';
