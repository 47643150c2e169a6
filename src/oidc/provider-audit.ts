// The audit events only oidc-provider sees: tokens issued to a client at the token endpoint, and
// a logout. Taken from the provider's public events (no internals), so the trail covers a
// sign-in to its end: the app got its tokens, or the person signed out.
import type Provider from 'oidc-provider';
import type { Audit } from '../kernel/audit.js';

export function auditProviderEvents(provider: Provider, audit: Audit): void {
  provider.on('grant.success', (ctx) => {
    audit('tokens.issued', {
      clientId: ctx.oidc.client?.clientId,
      accountId: ctx.oidc.account?.accountId,
      grantType: ctx.oidc.params?.grant_type,
    });
  });
  provider.on('end_session.success', (ctx) => {
    audit('logout', { clientId: ctx.oidc.client?.clientId, accountId: ctx.oidc.session?.accountId });
  });
}
