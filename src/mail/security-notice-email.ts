// Renders the notices that tell an account's inbox about a change that would let someone keep a
// way into the account without it: today, a new set of recovery codes. Whoever made the set from
// a browser left signed in can sign in with it after the owner's next sign-in, so the inbox hears
// of it, with what to do. Same layout, look and words as the change-of-address notices (product
// branding: the account page is linkid's own app), dates as the reader's language writes them
// (email-kit.ts sets that up); the link was built from ISSUER by the caller. Never a code: the
// notice is not a second copy of the set, and a mail that held codes would hand them to anyone
// who reads the inbox.
import type { Catalog } from '../i18n/catalog.js';
import type { Templates } from '../i18n/templates.js';
import type { MailMessage } from '../kernel/ports.js';
import { createEmailKit, type EmailBranding, type EmailRecipient } from './email-kit.js';

/** The recipient's ip and userAgent: who made the set, named as the change-of-address notices name them. */
export interface RecoveryCodesMadeData extends EmailRecipient {
  readonly madeAt: number;
  /** The account had unused codes, which this set voided: the notice says they no longer work. */
  readonly replacesEarlier: boolean;
  /** The account page, on ISSUER. */
  readonly accountUrl: string;
}

export interface SecurityNoticeEmail {
  renderRecoveryCodesMade(data: RecoveryCodesMadeData): MailMessage;
}

export const SECURITY_NOTICE_TAG = 'security-notice';

export function createSecurityNoticeEmail(templates: Templates, catalog: Catalog, branding: EmailBranding): SecurityNoticeEmail {
  const kit = createEmailKit(templates, catalog, branding);
  return {
    renderRecoveryCodesMade: (data) =>
      kit.render(data, {
        template: 'recovery-codes-made',
        subjectKey: 'account.recoveryCodes.mail.subject',
        tag: SECURITY_NOTICE_TAG,
        values: { madeAt: kit.when(data.locale, data.madeAt) },
        view: { accountUrl: data.accountUrl, replacesEarlier: data.replacesEarlier },
      }),
  };
}
