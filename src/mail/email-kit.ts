// What every email linkid sends sets up the same way, said once: its words from
// views/locales/<locale>.json in the reader's language, the placeholders any of its messages may
// use (the product, the address written to, the browser and IP that asked, the support address),
// dates as that language writes them, and the product's branding for the layout unless the
// asking app brings its own.
import type { Catalog, Values } from '../i18n/catalog.js';
import type { Templates } from '../i18n/templates.js';
import type { Locale } from '../kernel/locales.js';
import type { MailMessage } from '../kernel/ports.js';
import { describeUserAgent } from './user-agent.js';

export interface EmailBranding {
  readonly productName: string;
  readonly logoUrl?: string;
  readonly supportEmail?: string;
}

/** Whom an email goes to, in which language, and who asked for it. */
export interface EmailRecipient {
  readonly to: string;
  readonly locale: Locale;
  /** Who asked (the browser and IP named in the email). */
  readonly ip: string;
  readonly userAgent: string;
}

export interface EmailParts {
  /** views/email/<template>-text.eta and -html.eta. */
  readonly template: string;
  readonly subjectKey: string;
  readonly tag: string;
  /** Placeholders beyond the ones every email fills. */
  readonly values?: Values;
  /** What the templates read beyond `t`, `lang` and the branding. */
  readonly view?: Readonly<Record<string, unknown>>;
  /** The asking app's own logo and support address, each in place of the product's when given. */
  readonly brand?: { readonly logoUrl?: string | undefined; readonly supportEmail?: string | undefined };
}

export interface EmailKit {
  /** A moment as `locale` writes it, for a placeholder. */
  when(locale: Locale, epochMs: number): string;
  render(to: EmailRecipient, parts: EmailParts): MailMessage;
}

export function createEmailKit(templates: Templates, catalog: Catalog, branding: EmailBranding): EmailKit {
  return {
    when: (locale, epochMs) => catalog.formatDateTime(locale, epochMs),
    render(recipient, { template, subjectKey, tag, values, view, brand }) {
      const supportEmail = brand?.supportEmail ?? branding.supportEmail;
      const plain = catalog.translator(recipient.locale);
      // Every message of the email fills its placeholders from these.
      const t = catalog.translator(recipient.locale, {
        product: branding.productName,
        email: recipient.to,
        browser: describeUserAgent(recipient.userAgent, plain),
        ip: recipient.ip,
        support: supportEmail ?? '',
        ...values,
      });
      const it = {
        ...view,
        t,
        lang: recipient.locale,
        logoUrl: brand?.logoUrl ?? branding.logoUrl,
        productName: branding.productName,
        supportEmail,
      };
      return {
        to: recipient.to,
        subject: t(subjectKey),
        text: templates.text(`email/${template}-text`, it),
        html: templates.html(`email/${template}-html`, it),
        tag,
      };
    },
  };
}
