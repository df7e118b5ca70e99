/**
 * Delivering a project's release events to its webhook receivers: Standard Webhooks signatures, a durable JetStream
 * consumer per receiver, retries on a schedule, and receivers disabled durably when they fail for too long.
 */
export { attemptDelivery, signedHeaders, type Outcome } from './delivery.js';
export { Notifier, projectSubjects, signerOf, type NotifierOptions } from './notifier.js';
export {
  consumerName,
  disabledBucketName,
  ReceiverRegistry,
  receiverDisabledType,
  receiverStreamName,
  type DisabledRecord,
  type ReceiverRef,
} from './receivers.js';
export { jitterShare, longestWaitMs, retryAfterMs, retryDelayMs } from './schedule.js';
export { readSecret } from './secrets.js';
