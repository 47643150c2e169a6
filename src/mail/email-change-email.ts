// Renders the three emails of changing an account's address: the confirm link to the new address,
// the notice to the owner of an address someone tried to take for another account (nothing
// changed), and the notice to the old address after a change, with its undo link. Same layout and
// look as the sign-in email; every word from views/locales/<locale>.json, dates as that language
// writes them; every link was built from ISSUER by the caller.
import type { Catalog } from '../i18n/catalog.js';
import type { Locale } from '../kernel/locales.js';
import type { Templates } from '../i18n/templates.js';
import type { EmailBranding } from './magic-link-email.js';
import type { MailMessage } from '../kernel/ports.js';
import { describeUserAgent } from './user-agent.js';

interface Common {
  readonly to: string;
  readonly locale: Locale;
  /** Who asked (the browser and IP named in the email). */
  readonly ip: string;
  readonly userAgent: string;
}

export interface ChangeConfirmData extends Common {
  readonly link: string;
  /** The account's address when the change was asked for. */
  readonly currentEmail: string;
  readonly expiresAt: number;
  readonly ttlSeconds: number;
}

export interface ChangedNoticeData extends Common {
  readonly undoLink: string;
  readonly oldEmail: string;
  readonly newEmail: string;
  readonly changedAt: number;
  readonly undoExpiresAt: number;
  readonly undoDays: number;
}

export interface EmailChangeEmail {
  renderConfirm(data: ChangeConfirmData): MailMessage;
  renderInUse(data: Common): MailMessage;
  renderChanged(data: ChangedNoticeData): MailMessage;
}

type Template = 'email-change-confirm' | 'email-change-in-use' | 'email-changed';

export function createEmailChangeEmail(templates: Templates, catalog: Catalog, branding: EmailBranding): EmailChangeEmail {
  const compose = (data: Common, template: Template, values: Record<string, string | number>, view: Record<string, unknown> = {}): MailMessage => {
    const plain = catalog.translator(data.locale);
    const t = catalog.translator(data.locale, {
      product: branding.productName,
      email: data.to,
      browser: describeUserAgent(data.userAgent, plain),
      ip: data.ip,
      support: branding.supportEmail ?? '',
      ...values,
    });
    const it = { ...view, t, lang: data.locale, logoUrl: branding.logoUrl, productName: branding.productName, supportEmail: branding.supportEmail };
    return {
      to: data.to,
      subject: t(`emailChange.mail.${template}.subject`),
      text: templates.text(`email/${template}-text`, it),
      html: templates.html(`email/${template}-html`, it),
      tag: 'email-change',
    };
  };
  const when = (locale: Locale, epochMs: number) => catalog.formatDateTime(locale, epochMs);
  return {
    renderConfirm: (data) =>
      compose(
        data,
        'email-change-confirm',
        { currentEmail: data.currentEmail, count: Math.round(data.ttlSeconds / 60), expiresAt: when(data.locale, data.expiresAt) },
        { link: data.link },
      ),
    renderInUse: (data) => compose(data, 'email-change-in-use', {}),
    renderChanged: (data) =>
      compose(
        data,
        'email-changed',
        {
          oldEmail: data.oldEmail,
          newEmail: data.newEmail,
          changedAt: when(data.locale, data.changedAt),
          count: data.undoDays,
          expiresAt: when(data.locale, data.undoExpiresAt),
        },
        { undoLink: data.undoLink },
      ),
  };
}
