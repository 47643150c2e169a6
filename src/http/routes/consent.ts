// The consent step: which app wants what. First-party clients get the grant without the page.
// An API's scopes (RFC 8707 resources) are named by the words its resource record gives them,
// under the API's identifier, never by the bare scope names.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { FLOW_ROUTES, flowPath } from '../../login/flow-paths.js';
import type { Audit } from '../../kernel/audit.js';
import type { ResourceStore, UserStore } from '../../store/port.js';
import { ReasonError } from '../errors.js';
import { readBody, textField } from '../form-input.js';
import { clientNameOf, finishInteraction, loadInteraction, type InteractionDetails } from '../interaction-details.js';
import { renderPage } from '../render.js';
import type { PageDeps } from '../../i18n/pages.js';
import type { LinkidState } from '../state.js';

/** Scopes the consent page can put in words (`consent.scope.<scope>` in views/locales/). */
export const SCOPES_IN_WORDS: ReadonlySet<string> = new Set(['openid', 'email', 'offline_access']);

export interface ConsentDeps {
  readonly provider: Provider;
  readonly pages: PageDeps;
  readonly users: UserStore;
  /** Where an API's scopes find their words. */
  readonly resources: Pick<ResourceStore, 'findByIdentifier'>;
  readonly audit: Audit;
}

/** One API the app asks to use for the person, with the words of each scope asked for. */
interface ApiInWords {
  readonly identifier: string;
  readonly scopes: readonly string[];
}

async function requestedApis(details: InteractionDetails, resources: ConsentDeps['resources']): Promise<ApiInWords[]> {
  const missing = details.prompt.details.missingResourceScopes;
  if (!missing || typeof missing !== 'object') return [];
  const apis: ApiInWords[] = [];
  for (const [identifier, scopes] of Object.entries(missing as Record<string, string[]>)) {
    const resource = await resources.findByIdentifier(identifier);
    const words = (scope: string) => resource?.scopes.find((known) => known.name === scope)?.description ?? scope;
    apis.push({ identifier, scopes: scopes.map(words) });
  }
  return apis;
}

function requestedScopes(details: InteractionDetails): string[] {
  const missing = details.prompt.details.missingOIDCScope;
  const requested = typeof details.params.scope === 'string' ? details.params.scope : 'openid';
  const scopes = Array.isArray(missing) ? (missing as string[]) : requested.split(' ');
  return scopes.filter((scope) => SCOPES_IN_WORDS.has(scope));
}

export async function renderConsent(ctx: Context, deps: ConsentDeps, details: InteractionDetails): Promise<void> {
  const accountId = details.session?.accountId;
  const user = accountId ? await deps.users.findById(accountId) : undefined;
  if (!user) throw new ReasonError('interaction_expired');
  renderPage(ctx, deps.pages, 'consent', {
    appName: await clientNameOf(deps.provider, details.params.client_id),
    email: user.email,
    scopes: requestedScopes(details),
    apis: await requestedApis(details, deps.resources),
    action: flowPath('consent', details.uid),
  });
}

/** Records a grant for what the client asked and is still missing, then resumes authorization. */
export async function grantConsent(provider: Provider, ctx: Context, details: InteractionDetails, audit: Audit): Promise<void> {
  const accountId = details.session?.accountId;
  if (!accountId) throw new ReasonError('interaction_expired');
  const clientId = String(details.params.client_id);
  const grant = details.grantId
    ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId }))
    : new provider.Grant({ accountId, clientId });
  const prompt = details.prompt.details;
  if (Array.isArray(prompt.missingOIDCScope)) grant.addOIDCScope((prompt.missingOIDCScope as string[]).join(' '));
  if (Array.isArray(prompt.missingOIDCClaims)) grant.addOIDCClaims(prompt.missingOIDCClaims as string[]);
  if (prompt.missingResourceScopes && typeof prompt.missingResourceScopes === 'object') {
    for (const [indicator, scopes] of Object.entries(prompt.missingResourceScopes as Record<string, string[]>)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  audit('consent.granted', { clientId, accountId, interactionUid: details.uid });
  await finishInteraction(provider, ctx, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

/** Anything but "allow" denies. */
const consentForm = z.object({ decision: textField(16) });

export function consentRoutes(router: Router<LinkidState>, deps: ConsentDeps): void {
  router.post(FLOW_ROUTES.consent, async (ctx) => {
    const details = await loadInteraction(deps.provider, ctx);
    if (details.prompt.name !== 'consent') throw new ReasonError('interaction_expired');
    if (readBody(ctx, consentForm).decision === 'allow') {
      await grantConsent(deps.provider, ctx, details, deps.audit);
      return;
    }
    deps.audit('consent.denied', { clientId: details.params.client_id, accountId: details.session?.accountId, interactionUid: details.uid });
    await finishInteraction(deps.provider, ctx, { error: 'access_denied', error_description: 'End-User denied consent' }, { mergeWithLastSubmission: false });
  });
}
