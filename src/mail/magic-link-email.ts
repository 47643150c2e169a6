// Renders the sign-in email: the link, the code for another browser, which app asked and when
// it expires.
import type { Templates } from '../templates.js';
import type { MailMessage } from './mailer.js';

export interface MagicLinkEmailData {
  readonly to: string;
  readonly link: string;
  readonly code: string;
  readonly appName: string;
  readonly expiresAt: number;
  readonly ttlSeconds: number;
}

export interface MagicLinkEmail {
  render(data: MagicLinkEmailData): MailMessage;
}

export function createMagicLinkEmail(templates: Templates, productName: string): MagicLinkEmail {
  return {
    render(data) {
      const view = {
        ...data,
        productName,
        minutes: Math.round(data.ttlSeconds / 60),
        expiresAtUtc: new Date(data.expiresAt).toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
      };
      return {
        to: data.to,
        subject: `Your sign-in link for ${data.appName}`,
        text: templates.text('email/magic-link-text', view),
        html: templates.html('email/magic-link-html', view),
      };
    },
  };
}
