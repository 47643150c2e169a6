// Postmark delivery with the official `postmark` client. Sign-in mail must never be tracked:
// tracked links are rewritten through Postmark's redirector and never expire, and open tracking
// adds a pixel to a security message. Postmark's errors are mapped to what the queue should do.
import { Models, ServerClient } from 'postmark';
import { MailConfigError, MailDeliveryError, type MailTransport } from './mail-transport.js';

export interface PostmarkOptions {
  readonly serverToken: string;
  /** Overrides https://api.postmarkapp.com (tests, proxies). */
  readonly apiUrl?: string;
  readonly from: string;
  readonly messageStream: string;
  readonly timeoutMs?: number;
}

/** Postmark API error codes we act on (https://postmarkapp.com/developer/api/overview#error-codes). */
const INACTIVE_RECIPIENT = 406;
const INVALID_TOKEN = 10;

function clientOptions(apiUrl: string | undefined, timeoutMs: number) {
  if (!apiUrl) return { timeout: timeoutMs };
  const url = new URL(apiUrl);
  return { useHttps: url.protocol === 'https:', requestHost: `${url.host}${url.pathname.replace(/\/+$/, '')}`, timeout: timeoutMs };
}

function classify(error: unknown): MailDeliveryError {
  const { code, statusCode, message } = error as { code?: number; statusCode?: number; message?: string };
  const text = `Postmark ${statusCode ?? 'network'} ${code ?? ''}: ${message ?? String(error)}`.replace(/\s+/g, ' ');
  if (code === INACTIVE_RECIPIENT) return new MailDeliveryError(text, 'inactive_recipient');
  if (statusCode === undefined || statusCode === 0 || statusCode === 429 || statusCode >= 500) return new MailDeliveryError(text, 'retry');
  return new MailDeliveryError(text, 'permanent');
}

export function createPostmarkTransport(options: PostmarkOptions): MailTransport {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const client = new ServerClient(options.serverToken, clientOptions(options.apiUrl, timeoutMs));
  return {
    kind: 'postmark',
    async deliver(message) {
      try {
        const response = await client.sendEmail({
          From: options.from,
          To: message.to,
          Subject: message.subject,
          TextBody: message.text,
          HtmlBody: message.html,
          MessageStream: options.messageStream,
          Tag: message.tag,
          Metadata: message.requestId ? { request_id: message.requestId } : undefined,
          TrackOpens: false,
          TrackLinks: Models.LinkTrackingOptions.None,
        });
        return { providerMessageId: response.MessageID };
      } catch (error) {
        throw classify(error);
      }
    },
    async check() {
      try {
        await client.getServer();
      } catch (error) {
        const { code, statusCode } = error as { code?: number; statusCode?: number };
        if (statusCode === 401 || code === INVALID_TOKEN) {
          throw new MailConfigError('POSTMARK_SERVER_TOKEN was refused by Postmark (401): check the server API token');
        }
        // Postmark unreachable at start is not a configuration error: the queue retries sends.
      }
    },
  };
}
