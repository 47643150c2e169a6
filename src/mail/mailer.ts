// The Mailer port. A transport delivers one rendered message; the sender address is the
// transport's own configuration.
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface Mailer {
  readonly kind: 'outbox' | 'postmark';
  send(message: MailMessage): Promise<void>;
}
