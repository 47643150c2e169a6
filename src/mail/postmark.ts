// Postmark delivery with the official `postmark` client. Sign-in mail must never be tracked:
// tracked links are rewritten through Postmark's redirector and never expire, and open tracking
// adds a pixel to a security message. Postmark's errors are mapped to what the queue should do.
// Several ready messages go in one batch request (POST /email/batch), whose answer says per
// message whether it was accepted, so one refused address does not hold back the others.
import { Models, ServerClient } from 'postmark';
import { createKeepAliveFetch } from './keep-alive-fetch.js';
import { MailConfigError, MailDeliveryError, type MailDeliveryResult, type MailTransport } from './mail-transport.js';
import type { MailMessage } from '../kernel/ports.js';

export interface PostmarkOptions {
  readonly serverToken: string;
  /** Overrides https://api.postmarkapp.com (tests, proxies). */
  readonly apiUrl?: string;
  readonly from: string;
  readonly messageStream: string;
  readonly timeoutMs?: number;
  /** Connections kept open to Postmark at most (MAIL_CONCURRENCY); 16 unless said. */
  readonly maxConnections?: number;
}

/** Postmark API error codes we act on (https://postmarkapp.com/developer/api/overview#error-codes). */
const INACTIVE_RECIPIENT = 406;
const INVALID_TOKEN = 10;
const MAINTENANCE = 100;
const RATE_LIMITED = 429;

function clientOptions(apiUrl: string | undefined, timeoutMs: number, maxConnections: number) {
  // The client takes its timeout in seconds; its requests go over kept-alive connections.
  const base = { timeout: timeoutMs / 1000, fetch: createKeepAliveFetch({ maxSockets: maxConnections }) as unknown as typeof fetch };
  if (!apiUrl) return base;
  const url = new URL(apiUrl);
  return { ...base, useHttps: url.protocol === 'https:', requestHost: `${url.host}${url.pathname.replace(/\/+$/, '')}` };
}

function classify(error: unknown): MailDeliveryError {
  const { code, statusCode, message } = error as { code?: number; statusCode?: number; message?: string };
  const text = `Postmark ${statusCode ?? 'network'} ${code ?? ''}: ${message ?? String(error)}`.replace(/\s+/g, ' ');
  if (code === INACTIVE_RECIPIENT) return new MailDeliveryError(text, 'inactive_recipient');
  if (statusCode === undefined || statusCode === 0 || statusCode === 429 || statusCode >= 500) return new MailDeliveryError(text, 'retry');
  return new MailDeliveryError(text, 'permanent');
}

/**
 * One message's answer inside a batch (HTTP 200 for the whole request). Its ErrorCode is what a
 * single send of that message would have answered with 422, so it is classified as that would be;
 * maintenance and rate limiting pass.
 */
function batchResult(entry: { ErrorCode?: number; Message?: string; MessageID?: string } | undefined): MailDeliveryResult {
  if (!entry) return new MailDeliveryError('Postmark batch answer has no result for this message', 'retry');
  const code = entry.ErrorCode ?? 0;
  if (code === 0 && entry.MessageID) return { providerMessageId: entry.MessageID };
  const transient = code === MAINTENANCE || code === RATE_LIMITED;
  return classify({ code, statusCode: transient ? 503 : 422, message: entry.Message ?? 'no message id in the answer' });
}

export function createPostmarkTransport(options: PostmarkOptions): MailTransport {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const client = new ServerClient(options.serverToken, clientOptions(options.apiUrl, timeoutMs, options.maxConnections ?? 16));
  const toPostmark = (message: MailMessage): Models.Message => ({
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
  return {
    kind: 'postmark',
    async deliver(message) {
      try {
        const response = await client.sendEmail(toPostmark(message));
        return { providerMessageId: response.MessageID };
      } catch (error) {
        throw classify(error);
      }
    },
    async deliverBatch(messages) {
      try {
        const answers = await client.sendEmailBatch(messages.map(toPostmark));
        return messages.map((_, index) => batchResult(answers[index]));
      } catch (error) {
        // The request as a whole failed (network, token, rate limit, server error, a refused batch).
        const failure = classify(error);
        return messages.map(() => failure);
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
