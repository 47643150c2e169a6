// The links in the email. GET (and HEAD) only show a page: mail scanners follow links, so opening
// one must change nothing. In a browser that did not start the sign-in the link shows what it can
// do from there (other-browser.ts); in the one that did, the sign-in link's button POSTs to a path under the interaction,
// because oidc-provider scopes its interaction cookie to /interaction/:uid; a used or expired link
// offers one button that mails a fresh link for the same sign-in while it still waits, and the way
// back to the app once it has finished (link-refusals.ts). "This wasn't me" shows a page, and its
// button ends the sign-in.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { FLOW_ROUTES, flowPath } from '../../login/flow-paths.js';
import type { Refusal } from '../../kernel/decisions.js';
import type { BindingCookie } from '../binding-cookie.js';
import { renderReason } from '../errors.js';
import { linkRefusalOptions } from '../link-refusals.js';
import { readBody, readQuery, textField } from '../form-input.js';
import { clientNameOf, findInteraction, resumeWithLogin, signInLocale } from '../interaction-details.js';
import { pageLocale, renderPage } from '../render.js';
import { isSameOrigin } from '../same-origin.js';
import { formsLeadTo } from '../security-headers.js';
import type { LinkidState } from '../state.js';
import { renderOtherBrowser, type OtherBrowserDeps } from './other-browser.js';

export interface MagicLinkRouteDeps extends OtherBrowserDeps {
  readonly bindingCookie: BindingCookie;
}

/** Tokens are 43 characters; anything up to this length reaches the step, which says token_unknown. */
const tokenField = textField(256);
const tokenQuery = z.object({ token: tokenField });
const tokenForm = z.object({ token: tokenField });

export function magicLinkRoutes(router: Router<LinkidState>, deps: MagicLinkRouteDeps): void {
  const { provider, pages, signIn } = deps;

  /** Pages that know the sign-in but not its interaction cookie: the authorization's ui_locales, if any. */
  const speakSignInLanguage = async (ctx: Context, interactionUid: string) => {
    const locale = await signInLocale(provider, interactionUid);
    if (locale) ctx.state.locale = locale;
  };

  const refuseLink = (ctx: Context, refusal: Refusal, rawToken: string) => renderReason(ctx, pages, refusal.reason, linkRefusalOptions(refusal, rawToken));

  router.get(FLOW_ROUTES.openLink, async (ctx) => {
    const { token } = readQuery(ctx, tokenQuery);
    const result = await signIn.openLink(token, ctx.ip, deps.bindingCookie.read(ctx));
    await deps.brandPage(ctx, result.allow ? result.token.clientId : result.clientId);
    if (!result.allow) {
      refuseLink(ctx, result, token);
      return;
    }
    if (!result.sameBrowser) {
      await renderOtherBrowser(ctx, deps, result.token, token);
      return;
    }
    formsLeadTo(ctx, result.token.clientId);
    await speakSignInLanguage(ctx, result.token.interactionUid);
    renderPage(ctx, pages, 'confirm', {
      appName: await clientNameOf(provider, result.token.clientId),
      email: result.token.email,
      token,
      action: flowPath('confirmLink', result.token.interactionUid),
    });
  });

  router.post(FLOW_ROUTES.renewLink, async (ctx) => {
    const { token } = readBody(ctx, tokenForm);
    const clientName = (clientId: string) => clientNameOf(provider, clientId);
    // The new email speaks the sign-in's language, or this page's (the one the button was pressed on).
    const locale = async (interactionUid: string) => {
      await speakSignInLanguage(ctx, interactionUid);
      return pageLocale(ctx, pages);
    };
    const decision = await signIn.renewLink({ rawToken: token, ip: ctx.ip, requestId: ctx.state.requestId, clientName, locale });
    await deps.brandPage(ctx, decision.clientId);
    if (!decision.allow) {
      renderReason(ctx, pages, decision.reason, linkRefusalOptions(decision, token, 'renew'));
      return;
    }
    renderPage(ctx, pages, 'link-renewed', {});
  });

  router.get(FLOW_ROUTES.cancel, async (ctx) => {
    const { token } = readQuery(ctx, tokenQuery);
    const result = await signIn.openCancel(token, ctx.ip);
    await deps.brandPage(ctx, result.allow ? result.token.clientId : result.clientId);
    if (!result.allow) {
      renderReason(ctx, pages, result.reason, linkRefusalOptions(result, token, 'cancel'));
      return;
    }
    await speakSignInLanguage(ctx, result.token.interactionUid);
    renderPage(ctx, pages, 'cancel', {
      appName: await clientNameOf(provider, result.token.clientId),
      email: result.token.email,
      token,
    });
  });

  router.post(FLOW_ROUTES.cancel, async (ctx) => {
    const { token } = readBody(ctx, tokenForm);
    const result = await signIn.cancelSignIn(token, ctx.ip);
    await deps.brandPage(ctx, result.allow ? result.token.clientId : result.clientId);
    // Pressing it twice (or in two tabs) ends in the same place.
    if (!result.allow && result.reason !== 'sign_in_cancelled') {
      renderReason(ctx, pages, result.reason, linkRefusalOptions(result, token, 'cancel'));
      return;
    }
    if (result.allow) await speakSignInLanguage(ctx, result.token.interactionUid);
    renderPage(ctx, pages, 'cancelled', {});
  });

  router.post(FLOW_ROUTES.confirmLink, async (ctx) => {
    const input = {
      rawToken: readBody(ctx, tokenForm).token,
      interactionUid: ctx.params.uid ?? '',
      bindingNonce: deps.bindingCookie.read(ctx),
      sameOrigin: isSameOrigin(ctx, deps.issuerOrigin),
      ip: ctx.ip,
    };
    const details = await findInteraction(provider, ctx);
    if (!details) {
      // No interaction in this browser (another browser, a scanner): say why the link failed if
      // the link itself says so, in the language of the sign-in the path names.
      await speakSignInLanguage(ctx, input.interactionUid);
      const explained = await signIn.explainConfirm(input);
      await deps.brandPage(ctx, explained.allow ? explained.token.clientId : explained.clientId);
      if (explained.allow) renderReason(ctx, pages, 'interaction_expired');
      else refuseLink(ctx, explained, input.rawToken);
      return;
    }
    await deps.brandPage(ctx, details.params.client_id);
    const result = await signIn.confirmLink(input);
    if (!result.allow) {
      refuseLink(ctx, result, input.rawToken);
      return;
    }
    await resumeWithLogin(ctx, deps, await signIn.finishSignIn(result.token, 'link'));
  });
}
