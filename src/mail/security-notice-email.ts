// Renders the notices that tell an account's inbox about a change that would let someone keep a
// way into the account without it: today, a new set of recovery codes. Whoever made the set from
// a browser left signed in can sign in with it after the owner's next sign-in, so the inbox hears
// of it, with what to do. Same layout, look and words as the change-of-address notices (product
// branding: the account page is linkid's own app), dates as the reader's language writes them;
// the link was built from ISSUER by the caller. Never a code: the notice is not a second copy of
// the set, and a mail that held codes would hand them to anyone who reads the inbox.
import type { Catalog } from '../i18n/catalog.js';
import type { Locale } from '../kernel/locales.js';
import type { Templates } from '../i18n/templates.js';
import type { EmailBranding } from './magic-link-email.js';
import type { MailMessage } from '../kernel/ports.js';
import { describeUserAgent } from './user-agent.js';

export interface RecoveryCodesMadeData {
  readonly to: string;
  readonly locale: Locale;
  /** Who made the set (the browser and IP named in the email, as the change-of-address notices name them). */
  readonly ip: string;
  readonly userAgent: string;
  readonly madeAt: number;
  /** The account page, on ISSUER. */
  readonly accountUrl: string;
}

export interface SecurityNoticeEmail {
  renderRecoveryCodesMade(data: RecoveryCodesMadeData): MailMessage;
}

export const SECURITY_NOTICE_TAG = 'security-notice';

export function createSecurityNoticeEmail(templates: Templates, catalog: Catalog, branding: EmailBranding): SecurityNoticeEmail {
  return {
    renderRecoveryCodesMade(data) {
      const plain = catalog.translator(data.locale);
      const t = catalog.translator(data.locale, {
        product: branding.productName,
        email: data.to,
        browser: describeUserAgent(data.userAgent, plain),
        ip: data.ip,
        support: branding.supportEmail ?? '',
        madeAt: catalog.formatDateTime(data.locale, data.madeAt),
      });
      const it = {
        t,
        lang: data.locale,
        accountUrl: data.accountUrl,
        logoUrl: branding.logoUrl,
        productName: branding.productName,
        supportEmail: branding.supportEmail,
      };
      return {
        to: data.to,
        subject: t('account.recoveryCodes.mail.subject'),
        text: templates.text('email/recovery-codes-made-text', it),
        html: templates.html('email/recovery-codes-made-html', it),
        tag: SECURITY_NOTICE_TAG,
      };
    },
  };
}
