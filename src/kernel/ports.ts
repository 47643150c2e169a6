// The ports the sign-in owns and the layers above implement: the logger (observability), the mail
// queue and the sign-in email (mail), and where a sign-in stands (oidc, which keeps it in the
// engine's interaction). Declared here, at the bottom, so the steps in src/login/ depend on what
// they need and not on who provides it; the composition root (src/services.ts) plugs them in.
import type { Logger as PinoLogger } from 'pino';
import type { Locale } from './locales.js';

export type Logger = PinoLogger;

/** An email ready to send, as the queue keeps it and the transports deliver it. */
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

export interface EnqueueContext {
  /**
   * The message's id (random when left out). A second enqueue with the id of a stored message
   * queues nothing: work done again after a crash sends its email once.
   */
  readonly id?: string;
  readonly interactionUid?: string;
  readonly bindingHash?: string;
  readonly requestId?: string | null;
  /** After this (epoch ms) the message is not worth sending any more. */
  readonly giveUpAt: number;
}

/** The durable send queue, as a step sees it: it only enqueues (src/mail/send-queue.ts sends). */
export interface MailQueue {
  /** Resolves with the message's id, or null when `context.id` names a message already stored (nothing was queued). */
  enqueue(message: MailMessage, context: EnqueueContext): Promise<string | null>;
}

export interface RefusedEmailData {
  readonly to: string;
  readonly cancelLink: string;
  readonly appName: string;
  readonly expiresAt: number;
  readonly ttlSeconds: number;
  readonly ip: string;
  readonly userAgent: string;
  /** The language of the sign-in (of the page that asked for this email). */
  readonly locale: Locale;
  /** The address has an account, but this app's allowlist does not take it (the refused email says so). */
  readonly notAllowedHere?: boolean;
  /** The asking app's own look; each part left out falls back to the product's. */
  readonly branding?: AppEmailBranding;
}

export interface AppEmailBranding {
  /** https only (checked when the app is registered and when it is read). */
  readonly logoUri?: string;
  readonly accentColor?: string;
  readonly accentText?: string;
  readonly supportEmail?: string;
  readonly policyUri?: string;
  readonly tosUri?: string;
}

export interface MagicLinkEmailData extends RefusedEmailData {
  readonly link: string;
  readonly code: string;
}

export interface MagicLinkEmail {
  render(data: MagicLinkEmailData): MailMessage;
  renderRefused(data: RefusedEmailData): MailMessage;
}

/**
 * pending: waits for a login; finishing: a link or code was accepted but the browser has not yet
 * gone back to the app (the login is stored in the interaction, not yet in a session), so it can
 * still be stopped; cancelled; gone: finished, expired or never there.
 */
export type SignInState = 'pending' | 'finishing' | 'cancelled' | 'gone';

export interface SignInStates {
  stateOf(interactionUid: string): Promise<SignInState>;
  /** Ends the sign-in for good; false when the interaction no longer exists. */
  cancel(interactionUid: string): Promise<boolean>;
}
