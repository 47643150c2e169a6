// Renders the sign-in email: the link, the code for another browser, which app asked, from which
// browser and IP, when it expires, and a "this wasn't me" link that cancels the sign-in. An address
// that may not sign in gets the refused email instead: same queue, same cancel link, no link or
// code (only the owner of the mailbox ever reads which of the two was sent). The app that asked may
// bring its own logo, accent colour, support address and privacy and terms links.
// Its words come from views/locales/<locale>.json in the sign-in's language, dates written as
// that language writes them.
import type { Catalog } from '../i18n/catalog.js';
import type { Templates } from '../i18n/templates.js';
import type { MailMessage, MagicLinkEmail, RefusedEmailData } from '../kernel/ports.js';
import { describeUserAgent } from './user-agent.js';

export interface EmailBranding {
  readonly productName: string;
  readonly logoUrl?: string;
  readonly supportEmail?: string;
}

export function createMagicLinkEmail(templates: Templates, catalog: Catalog, branding: EmailBranding): MagicLinkEmail {
  const compose = (data: RefusedEmailData, template: 'magic-link' | 'signin-refused', subjectKey: string): MailMessage => {
    const plain = catalog.translator(data.locale);
    // Every message of the email fills its placeholders from these.
    const t = catalog.translator(data.locale, {
      app: data.appName,
      product: branding.productName,
      email: data.to,
      count: Math.round(data.ttlSeconds / 60),
      expiresAt: catalog.formatDateTime(data.locale, data.expiresAt),
      browser: describeUserAgent(data.userAgent, plain),
      ip: data.ip,
      support: data.branding?.supportEmail ?? branding.supportEmail ?? '',
    });
    const view = {
      ...data,
      t,
      lang: data.locale,
      refusedIntroKey: data.notAllowedHere ? 'email.refusedIntroNotAllowed' : 'email.refusedIntro',
      logoUrl: data.branding?.logoUri ?? branding.logoUrl,
      logoAlt: data.branding?.logoUri ? data.appName : branding.productName,
      supportEmail: data.branding?.supportEmail ?? branding.supportEmail,
      productName: branding.productName,
      accentColor: data.branding?.accentColor,
      accentText: data.branding?.accentText,
      policyUri: data.branding?.policyUri,
      tosUri: data.branding?.tosUri,
    };
    return {
      to: data.to,
      subject: t(subjectKey),
      text: templates.text(`email/${template}-text`, view),
      html: templates.html(`email/${template}-html`, view),
      tag: 'sign-in',
    };
  };
  return {
    render: (data) => compose(data, 'magic-link', 'email.subject'),
    renderRefused: (data) => compose(data, 'signin-refused', 'email.refusedSubject'),
  };
}
