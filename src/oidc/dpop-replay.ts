// RFC 9449 §4.3 (check 11) and §11.1: a DPoP proof whose jti was seen before is not a valid proof,
// and an invalid proof is answered `invalid_dpop_proof` (400 at the token endpoint and at the pushed
// authorization request endpoint, 401 with a DPoP challenge at userinfo). oidc-provider answers a replayed proof as a bad grant (invalid_grant) or a
// bad token (invalid_token), and a client told its refresh token is bad throws it away (signing the
// person out of the app), when only the proof was at fault and the token is still good: a client
// that sent one proof twice, retrying after a timeout, is the usual way to get here. This answers
// the replay as what it is, and a fresh proof then succeeds.
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

/** oidc-provider's words for a replayed proof (helpers/validate_dpop.js), in the error's detail. */
const REPLAY = 'DPoP proof JWT Replay detected';
const DESCRIPTION = 'the DPoP proof was used before: make a new proof for every request';

const setParameter = (challenge: string, name: string, value: string) => challenge.replace(new RegExp(`${name}="(?:[^"\\\\]|\\\\.)*"`), `${name}="${value}"`);

export function answerReplayedProofs(provider: Provider): Koa.Middleware {
  const replayed = new WeakSet<object>();
  const note = (ctx: KoaContextWithOIDC, error: { error_detail?: unknown; error_description?: unknown }) => {
    if (error.error_detail === REPLAY || error.error_description === REPLAY) replayed.add(ctx);
  };
  // The engine reports the error only to the error events of the endpoints that check proofs (the
  // token endpoint, userinfo, and pushed authorization requests, RFC 9449 §10.1), before its answer leaves.
  provider.on('grant.error', note);
  provider.on('userinfo.error', note);
  provider.on('pushed_authorization_request.error', note);
  return async (ctx, next) => {
    await next();
    if (!replayed.has(ctx)) return;
    const body = ctx.body as Record<string, unknown> | null | undefined;
    if (body && typeof body === 'object') Object.assign(body, { error: 'invalid_dpop_proof', error_description: DESCRIPTION });
    const challenge = ctx.response.get('WWW-Authenticate');
    if (challenge) {
      ctx.set('WWW-Authenticate', setParameter(setParameter(challenge, 'error', 'invalid_dpop_proof'), 'error_description', DESCRIPTION));
    }
  };
}
