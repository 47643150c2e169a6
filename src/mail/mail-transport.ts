import type { MailTransportName } from '../config/env.js';
import type { MailMessage } from '../kernel/ports.js';
// The mail transport port. A transport delivers one rendered message now (Postmark, an SMTP relay,
// or the outbox in development), or several in one request when the provider has a batch API; the send queue in
// front of it makes delivery durable and retried. The sender address and message stream are the
// transport's own configuration.
export interface MailTransport {
  readonly kind: MailTransportName;
  /** Where it sends, for the start log line, without credentials (an SMTP relay's URL and TLS). */
  readonly describe?: string;
  /** Sends now; resolves with the provider's message id, or throws MailDeliveryError. */
  deliver(message: MailMessage): Promise<{ providerMessageId: string }>;
  /**
   * Sends several in one provider request. Never throws: resolves with one result per message, in
   * order, so one refused address does not fail the others; a failure of the whole request is
   * every message's result.
   */
  deliverBatch?(messages: readonly MailMessage[]): Promise<MailDeliveryResult[]>;
  /** Checks the configuration once at start (for example that the API token is accepted). */
  check?(): Promise<void>;
  /** Closes what it keeps open (an SMTP transport's pooled connections). */
  close?(): void;
}

export type MailDeliveryResult = { readonly providerMessageId: string } | MailDeliveryError;

/**
 * Why a delivery failed: `retry` (rate limited, provider or network down), `permanent` (the
 * message will never go through), or `inactive_recipient` (the provider refuses this address).
 */
export class MailDeliveryError extends Error {
  constructor(
    message: string,
    readonly kind: 'retry' | 'permanent' | 'inactive_recipient',
  ) {
    super(message);
    this.name = 'MailDeliveryError';
  }
}

/** The transport's configuration is unusable (a refused API token): stop at start. */
export class MailConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MailConfigError';
  }
}
