// The audit events only oidc-provider sees: tokens issued to a client at the token endpoint, and
// a logout. Taken from the provider's public events (no internals), so the trail covers a
// sign-in to its end: the app got its tokens, or the person signed out.
import type Provider from 'oidc-provider';
import type { Audit } from '../kernel/audit.js';

export function auditProviderEvents(provider: Provider, audit: Audit): void {
  provider.on('grant.success', (ctx) => {
    // The access token issued: its audience names the API (RFC 8707) it was issued for, if any.
    const issued = ctx.oidc.entities.AccessToken ?? ctx.oidc.entities.ClientCredentials;
    audit('tokens.issued', {
      clientId: ctx.oidc.client?.clientId,
      accountId: ctx.oidc.account?.accountId,
      grantType: ctx.oidc.params?.grant_type,
      ...(typeof issued?.aud === 'string' ? { resource: issued.aud, scope: issued.scope } : {}),
    });
  });
  provider.on('end_session.success', (ctx) => {
    audit('logout', { clientId: ctx.oidc.client?.clientId, accountId: ctx.oidc.session?.accountId });
  });
}
