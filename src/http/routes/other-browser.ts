// A link opened in a browser that did not start its sign-in (the mail read on a phone, an app's
// in-app browser, a scanner). The GET shows what is asking and what can be done from here, and
// changes nothing; each offer is a POST from that page: approve with number matching, a QR code
// of a fresh link for the browser that started, or "This wasn't me". The steps are in
// src/login/steps/approve-elsewhere.ts and issue-qr-link.ts.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import QRCode from 'qrcode';
import { z } from 'zod';
import type { Clock } from '../../kernel/clock.js';
import type { PageDeps } from '../../i18n/pages.js';
import { FLOW_ROUTES, flowUrl } from '../../login/flow-paths.js';
import type { SignIn } from '../../login/sign-in.js';
import { DENY_CHOICE } from '../../login/steps/approve-elsewhere.js';
import type { LoginTokenRecord } from '../../store/port.js';
import type { BrandPage } from '../app-branding.js';
import { renderReason } from '../errors.js';
import { linkRefusalOptions } from '../link-refusals.js';
import { readBody, textField } from '../form-input.js';
import { detectInAppBrowser } from '../in-app-browser.js';
import { clientNameOf, signInLocale } from '../interaction-details.js';
import { pageLocale, pageTranslator, renderPage } from '../render.js';
import { isSameOrigin } from '../same-origin.js';
import type { LinkidState } from '../state.js';
import { whoIsAsking } from '../who-is-asking.js';

export interface OtherBrowserDeps {
  readonly provider: Provider;
  readonly pages: PageDeps;
  readonly signIn: SignIn;
  readonly issuer: string;
  readonly issuerOrigin: string;
  readonly clock: Clock;
  readonly brandPage: BrandPage;
}

const tokenField = textField(256);
const tokenForm = z.object({ token: tokenField });
const answerForm = z.object({ token: tokenField, form: textField(128), number: textField(16), choice: textField(16) });

/** Pages that know the sign-in but not its interaction cookie speak the authorization's ui_locales, if any. */
async function speakSignInLanguage(provider: Provider, ctx: Context, interactionUid: string): Promise<void> {
  const locale = await signInLocale(provider, interactionUid);
  if (locale) ctx.state.locale = locale;
}

/** The page the GET of a link shows in a browser that did not start its sign-in. */
export async function renderOtherBrowser(ctx: Context, deps: OtherBrowserDeps, token: LoginTokenRecord, rawToken: string): Promise<void> {
  await speakSignInLanguage(deps.provider, ctx, token.interactionUid);
  const t = pageTranslator(ctx, deps.pages);
  renderPage(ctx, deps.pages, 'other-browser', {
    appName: await clientNameOf(deps.provider, token.clientId),
    email: token.email,
    token: rawToken,
    asking: whoIsAsking(token, deps.clock.now(), pageLocale(ctx, deps.pages), t),
    approveAction: FLOW_ROUTES.askApproval,
    qrAction: FLOW_ROUTES.qrLink,
    cancelUrl: `${FLOW_ROUTES.cancel}?token=${encodeURIComponent(rawToken)}`,
    // An app's own browser (a web view) is told so, with its way out and "copy link".
    inApp: detectInAppBrowser(ctx.get('user-agent')),
    // The link as the email gave it, for "copy link" in an in-app browser.
    link: flowUrl(deps.issuer, 'openLink', rawToken),
  });
}

export function otherBrowserRoutes(router: Router<LinkidState>, deps: OtherBrowserDeps): void {
  const { pages, signIn } = deps;

  router.post(FLOW_ROUTES.askApproval, async (ctx) => {
    const { token } = readBody(ctx, tokenForm);
    const asked = await signIn.askApproval(token, isSameOrigin(ctx, deps.issuerOrigin), ctx.ip);
    await deps.brandPage(ctx, asked.allow ? asked.token.clientId : asked.clientId);
    if (!asked.allow) {
      renderReason(ctx, pages, asked.reason, linkRefusalOptions(asked, token));
      return;
    }
    await speakSignInLanguage(deps.provider, ctx, asked.token.interactionUid);
    renderPage(ctx, pages, 'approve', {
      appName: await clientNameOf(deps.provider, asked.token.clientId),
      token,
      form: asked.formValue,
      deny: DENY_CHOICE,
      action: FLOW_ROUTES.answerApproval,
    });
  });

  router.post(FLOW_ROUTES.answerApproval, async (ctx) => {
    const form = readBody(ctx, answerForm);
    const answered = await signIn.answerApproval({
      rawToken: form.token,
      formValue: form.form,
      number: form.number,
      choice: form.choice,
      sameOrigin: isSameOrigin(ctx, deps.issuerOrigin),
      ip: ctx.ip,
    });
    await deps.brandPage(ctx, answered.allow ? answered.token.clientId : answered.clientId);
    if (answered.allow) {
      await speakSignInLanguage(deps.provider, ctx, answered.token.interactionUid);
      renderPage(ctx, pages, 'approved', { appName: await clientNameOf(deps.provider, answered.token.clientId) });
      return;
    }
    // "This wasn't me" ends where the email's own cancel ends, pressed once or twice.
    if (form.choice === DENY_CHOICE && answered.reason === 'sign_in_cancelled') {
      renderPage(ctx, pages, 'cancelled', {});
      return;
    }
    renderReason(ctx, pages, answered.reason, linkRefusalOptions(answered, form.token));
  });

  router.post(FLOW_ROUTES.qrLink, async (ctx) => {
    const { token } = readBody(ctx, tokenForm);
    const issued = await signIn.issueQrLink(token, isSameOrigin(ctx, deps.issuerOrigin), ctx.ip);
    await deps.brandPage(ctx, issued.allow ? issued.token.clientId : issued.clientId);
    if (!issued.allow) {
      renderReason(ctx, pages, issued.reason, linkRefusalOptions(issued, token));
      return;
    }
    await speakSignInLanguage(deps.provider, ctx, issued.token.interactionUid);
    const link = flowUrl(deps.issuer, 'openLink', issued.rawToken);
    renderPage(ctx, pages, 'qr-link', {
      appName: await clientNameOf(deps.provider, issued.token.clientId),
      link,
      // Made here, never by an outside service: the link is a secret.
      qrSvg: await QRCode.toString(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }),
    });
  });
}
