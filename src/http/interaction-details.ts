// Loads the oidc-provider interaction a page belongs to. A missing, expired or foreign
// interaction is a reason (interaction_expired), not a 500; a cancelled one (sign_in_cancelled)
// offers only the way back to the app, which learns of it as access_denied. A page that belongs to
// an interaction speaks the language its authorization asked for (ui_locales), if we ship it.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { fromUiLocales } from '../i18n/negotiate.js';
import type { Locale } from '../kernel/locales.js';
import { isCancelledResult } from '../oidc/sign-in-state.js';
import type { Login, Refusal } from '../kernel/decisions.js';
import { ReasonError, renderReason } from './errors.js';
import type { PageDeps } from '../i18n/pages.js';
import { formsLeadTo } from './security-headers.js';

export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

export async function findInteraction(provider: Provider, ctx: Context): Promise<InteractionDetails | undefined> {
  try {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== (ctx.params as { uid?: string } | undefined)?.uid) return undefined;
    formsLeadTo(ctx, details.params.client_id);
    const locale = fromUiLocales(details.params.ui_locales);
    if (locale) ctx.state.locale = locale;
    if (isCancelledResult(details.result)) {
      // Back to the app through the authorization, so the app hears access_denied.
      const app = await clientNameOf(provider, details.params.client_id);
      throw new ReasonError('sign_in_cancelled', { link: { url: details.returnTo, label: 'error.backToApp', params: { app } } });
    }
    return details;
  } catch (error) {
    if ((error as { name?: string }).name === 'SessionNotFound') return undefined;
    throw error;
  }
}

export async function loadInteraction(provider: Provider, ctx: Context): Promise<InteractionDetails> {
  const details = await findInteraction(provider, ctx);
  if (!details) throw new ReasonError('interaction_expired');
  return details;
}

/** The language a sign-in's authorization asked for (ui_locales), for pages that know only its uid. */
export async function signInLocale(provider: Provider, interactionUid: string): Promise<Locale | undefined> {
  const interaction = await provider.Interaction.find(interactionUid);
  return fromUiLocales(interaction?.params.ui_locales);
}

export async function clientNameOf(provider: Provider, clientId: unknown): Promise<string> {
  const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
  return client?.clientName ?? (typeof clientId === 'string' ? clientId : 'the app');
}

/** Stores the interaction result and answers 303 to the authorization endpoint. */
export async function finishInteraction(
  provider: Provider,
  ctx: Context,
  result: Parameters<Provider['interactionResult']>[2],
  options?: { mergeWithLastSubmission?: boolean },
): Promise<void> {
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, options);
  ctx.status = 303;
  ctx.redirect(returnTo);
}

/** Hands a finished sign-in's login to oidc-provider (303 to resume the authorization), or shows why not. */
export async function resumeWithLogin(
  ctx: Context,
  deps: { readonly provider: Provider; readonly pages: PageDeps },
  outcome: { readonly allow: true; readonly login: Login } | Refusal,
): Promise<void> {
  if (!outcome.allow) {
    renderReason(ctx, deps.pages, outcome.reason);
    return;
  }
  await finishInteraction(deps.provider, ctx, { login: outcome.login }, { mergeWithLastSubmission: false });
}
