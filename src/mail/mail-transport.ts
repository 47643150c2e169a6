// The mail transport port. A transport delivers one rendered message now (Postmark, or the outbox in
// development); the send queue in front of it makes delivery durable and retried. The sender
// address and message stream are the transport's own configuration.
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Groups messages in the provider's reports (Postmark's Tag). */
  readonly tag?: string;
  /** The request that caused the message, for tracing it through the provider. */
  readonly requestId?: string | null;
}

export interface MailTransport {
  readonly kind: 'outbox' | 'postmark';
  /** Sends now; resolves with the provider's message id, or throws MailDeliveryError. */
  deliver(message: MailMessage): Promise<{ providerMessageId: string }>;
  /** Checks the configuration once at start (for example that the API token is accepted). */
  check?(): Promise<void>;
}

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
