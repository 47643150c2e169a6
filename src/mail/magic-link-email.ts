// Renders the sign-in email: the link, the code for another browser, which app asked, from which
// browser and IP, when it expires, and a "this wasn't me" link that cancels the sign-in. An address
// that may not sign in gets the refused email instead: same queue, same cancel link, no link or
// code (only the owner of the mailbox ever reads which of the two was sent).
import type { Templates } from '../templates.js';
import type { MailMessage } from './mail-transport.js';
import { fill, type Strings } from './strings.js';
import { describeUserAgent } from './user-agent.js';

export interface RefusedEmailData {
  readonly to: string;
  readonly cancelLink: string;
  readonly appName: string;
  readonly expiresAt: number;
  readonly ttlSeconds: number;
  readonly ip: string;
  readonly userAgent: string;
}

export interface MagicLinkEmailData extends RefusedEmailData {
  readonly link: string;
  readonly code: string;
}

export interface MagicLinkEmail {
  render(data: MagicLinkEmailData): MailMessage;
  renderRefused(data: RefusedEmailData): MailMessage;
}

export interface EmailBranding {
  readonly productName: string;
  readonly logoUrl?: string;
  readonly supportEmail?: string;
}

export function createMagicLinkEmail(templates: Templates, strings: Strings, branding: EmailBranding): MagicLinkEmail {
  const compose = (data: RefusedEmailData, template: 'magic-link' | 'signin-refused', subjectKey: string): MailMessage => {
    const values = {
      app: data.appName,
      product: branding.productName,
      email: data.to,
      minutes: Math.round(data.ttlSeconds / 60),
      expiresAt: `${new Date(data.expiresAt).toISOString().replace('T', ' ').slice(0, 16)} UTC`,
      browser: describeUserAgent(data.userAgent),
      ip: data.ip,
      support: branding.supportEmail ?? '',
    };
    const t = Object.fromEntries(Object.entries(strings).map(([key, text]) => [key, fill(text, values)]));
    const view = { ...data, t, logoUrl: branding.logoUrl, supportEmail: branding.supportEmail, productName: branding.productName };
    return {
      to: data.to,
      subject: t[subjectKey] ?? subjectKey,
      text: templates.text(`email/${template}-text`, view),
      html: templates.html(`email/${template}-html`, view),
      tag: 'sign-in',
    };
  };
  return {
    render: (data) => compose(data, 'magic-link', 'subject'),
    renderRefused: (data) => compose(data, 'signin-refused', 'refusedSubject'),
  };
}
