// Delivery through an SMTP relay (the operator's Postfix, their provider's, or the SMTP endpoint
// of SES, Mailgun or Postmark) with nodemailer's pooled transport, so a backlog reuses a few open
// connections instead of a handshake per message. The connection is TLS unless the URL says
// `tls=none`: smtp:// must upgrade with STARTTLS (nodemailer's requireTLS) and smtps:// is TLS from
// the first byte; certificates are verified. The relay's answer tells the queue what to do, as RFC
// 5321 says: a 4xx reply is transient (retried), a 5xx permanent (failed), no answer at all (the
// relay down, a timeout) retried. SMTP has no delivery webhook: "sent" means the relay took the
// message, and a bounce after that goes to the envelope sender, never to linkid.
import nodemailer from 'nodemailer';
import type { SmtpSettings } from '../config/env.js';
import type { MailMessage } from '../kernel/ports.js';
import { MailConfigError, MailDeliveryError, type MailTransport } from './mail-transport.js';

export interface SmtpOptions {
  readonly smtp: SmtpSettings;
  /** The From header (MAIL_FROM); the envelope sender is smtp.envelopeFrom. */
  readonly from: string;
  /** Connections one process keeps open to the relay at most. */
  readonly maxConnections?: number;
  /** How long to wait for the connection and the greeting; a command may take three times as long. */
  readonly timeoutMs?: number;
}

interface SmtpFailure {
  readonly code?: string;
  readonly responseCode?: number;
  readonly response?: string;
  readonly message?: string;
}

/** Error text for logs and the queue, with the password taken out should a relay ever echo it. */
function describeFailure(failure: SmtpFailure, password: string | undefined): string {
  const text = `SMTP ${failure.responseCode ?? failure.code ?? 'error'}: ${failure.response ?? failure.message ?? 'no answer'}`.replace(/\s+/g, ' ');
  return password ? text.split(password).join('[password]') : text;
}

/**
 * 4xx: transient, retried. 5xx: permanent, except 503 (bad sequence of commands), which says the
 * session was in the wrong state rather than that the message was refused. No reply code: the
 * relay could not be reached or stopped answering, retried.
 */
export function classifySmtpFailure(error: unknown, password?: string): MailDeliveryError {
  const failure = (error ?? {}) as SmtpFailure;
  const text = describeFailure(failure, password);
  const code = failure.responseCode;
  const permanent = code !== undefined && code >= 500 && code < 600 && code !== 503;
  return new MailDeliveryError(text, permanent ? 'permanent' : 'retry');
}

export function createSmtpTransport(options: SmtpOptions): MailTransport & { close(): void } {
  const { smtp } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const transporter = nodemailer.createTransport({
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    // The durable queue retries with its own backoff and lease; a message must not wait inside the pool too.
    maxRequeues: 0,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls === 'implicit',
    requireTLS: smtp.tls === 'starttls',
    ignoreTLS: smtp.tls === 'none',
    auth: smtp.user === undefined ? undefined : { user: smtp.user, pass: smtp.password ?? '' },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs * 3,
    // Our messages are rendered text and HTML only: nothing may make nodemailer read a file or a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const send = async (message: MailMessage) => {
    try {
      const info = await transporter.sendMail({
        from: options.from,
        to: message.to,
        envelope: { from: smtp.envelopeFrom, to: [message.to] },
        subject: message.subject,
        text: message.text,
        html: message.html,
        headers: message.requestId ? { 'X-Linkid-Request-Id': message.requestId } : {},
      });
      return { providerMessageId: info.messageId };
    } catch (error) {
      throw classifySmtpFailure(error, smtp.password);
    }
  };
  return {
    kind: 'smtp',
    describe: smtp.describe,
    deliver: send,
    async check() {
      try {
        await transporter.verify();
      } catch (error) {
        const failure = (error ?? {}) as SmtpFailure;
        // The relay down at start is not a configuration error: the queue retries sends. One that
        // answers but refuses the credentials or the TLS the URL asks for will refuse every message.
        if (failure.code === 'EAUTH' || failure.code === 'ETLS' || failure.code === 'ENOAUTH') {
          throw new MailConfigError(
            `SMTP_URL: ${smtp.describe} refused the connection linkid needs (${describeFailure(failure, smtp.password)})${hint(failure.code)}`,
          );
        }
      }
    },
    close() {
      transporter.close();
    },
  };
}

function hint(code: string): string {
  if (code === 'ETLS') return ': use smtps://, or add ?tls=none for a relay on this host or a network you trust';
  return ': check the user name and password in the URL';
}
