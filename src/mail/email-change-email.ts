// Renders the three emails of changing an account's address: the confirm link to the new address,
// the notice to the owner of an address someone tried to take for another account (nothing
// changed), and the notice to the old address after a change, with its undo link. Same layout and
// look as the sign-in email; every word from views/locales/<locale>.json, dates as that language
// writes them (email-kit.ts sets that up); every link was built from ISSUER by the caller.
import type { Catalog, Values } from '../i18n/catalog.js';
import type { Templates } from '../i18n/templates.js';
import type { MailMessage } from '../kernel/ports.js';
import { createEmailKit, type EmailBranding, type EmailRecipient } from './email-kit.js';

export interface ChangeConfirmData extends EmailRecipient {
  readonly link: string;
  /** The account's address when the change was asked for. */
  readonly currentEmail: string;
  readonly expiresAt: number;
  readonly ttlSeconds: number;
}

export interface ChangedNoticeData extends EmailRecipient {
  readonly undoLink: string;
  readonly oldEmail: string;
  readonly newEmail: string;
  readonly changedAt: number;
  readonly undoExpiresAt: number;
  readonly undoDays: number;
}

export interface EmailChangeEmail {
  renderConfirm(data: ChangeConfirmData): MailMessage;
  renderInUse(data: EmailRecipient): MailMessage;
  renderChanged(data: ChangedNoticeData): MailMessage;
}

type Template = 'email-change-confirm' | 'email-change-in-use' | 'email-changed';

export function createEmailChangeEmail(templates: Templates, catalog: Catalog, branding: EmailBranding): EmailChangeEmail {
  const kit = createEmailKit(templates, catalog, branding);
  const compose = (data: EmailRecipient, template: Template, values: Values, view: Record<string, unknown> = {}): MailMessage =>
    kit.render(data, { template, subjectKey: `emailChange.mail.${template}.subject`, tag: 'email-change', values, view });
  return {
    renderConfirm: (data) =>
      compose(
        data,
        'email-change-confirm',
        { currentEmail: data.currentEmail, count: Math.round(data.ttlSeconds / 60), expiresAt: kit.when(data.locale, data.expiresAt) },
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
          changedAt: kit.when(data.locale, data.changedAt),
          count: data.undoDays,
          expiresAt: kit.when(data.locale, data.undoExpiresAt),
        },
        { undoLink: data.undoLink },
      ),
  };
}
