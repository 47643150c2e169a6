// Renders the sign-in email: the link, the code for another browser, which app asked, from which
// browser and IP, when it expires, and a "this wasn't me" link that cancels the sign-in. An address
// that may not sign in gets the refused email instead: same queue, same cancel link, no link or
// code (only the owner of the mailbox ever reads which of the two was sent). The app that asked may
// bring its own logo, accent colour, support address and privacy and terms links.
// Its words come from views/locales/<locale>.json in the sign-in's language, dates written as
// that language writes them (email-kit.ts sets that up).
import type { Catalog } from '../i18n/catalog.js';
import type { Templates } from '../i18n/templates.js';
import type { MailMessage, MagicLinkEmail, RefusedEmailData } from '../kernel/ports.js';
import { createEmailKit, type EmailBranding } from './email-kit.js';

export function createMagicLinkEmail(templates: Templates, catalog: Catalog, branding: EmailBranding): MagicLinkEmail {
  const kit = createEmailKit(templates, catalog, branding);
  const compose = (data: RefusedEmailData, template: 'magic-link' | 'signin-refused', subjectKey: string): MailMessage =>
    kit.render(data, {
      template,
      subjectKey,
      tag: 'sign-in',
      values: { app: data.appName, count: Math.round(data.ttlSeconds / 60), expiresAt: kit.when(data.locale, data.expiresAt) },
      view: {
        ...data,
        refusedIntroKey: data.notAllowedHere ? 'email.refusedIntroNotAllowed' : 'email.refusedIntro',
        logoAlt: data.branding?.logoUri ? data.appName : branding.productName,
        accentColor: data.branding?.accentColor,
        accentText: data.branding?.accentText,
        policyUri: data.branding?.policyUri,
        tosUri: data.branding?.tosUri,
      },
      brand: { logoUrl: data.branding?.logoUri, supportEmail: data.branding?.supportEmail },
    });
  return {
    render: (data) => compose(data, 'magic-link', 'email.subject'),
    renderRefused: (data) => compose(data, 'signin-refused', 'email.refusedSubject'),
  };
}
