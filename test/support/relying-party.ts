// A relying party built on openid-client (an independent, certified OIDC client library): it
// discovers linkid, builds PKCE authorization URLs and redeems codes with full validation.
import * as oidc from 'openid-client';
import type { ClientView } from '../../src/admin/clients.js';

export interface AuthorizationAttempt {
  readonly url: string;
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
}

export class RelyingParty {
  private constructor(
    readonly config: oidc.Configuration,
    readonly client: ClientView,
  ) {}

  static async discover(issuer: string, client: ClientView): Promise<RelyingParty> {
    const config = await oidc.discovery(
      new URL(issuer),
      client.client_id,
      client.client_secret ? { client_secret: client.client_secret } : undefined,
      client.client_secret ? oidc.ClientSecretBasic(client.client_secret) : oidc.None(),
      { execute: [oidc.allowInsecureRequests] },
    );
    return new RelyingParty(config, client);
  }

  get redirectUri(): string {
    return this.client.redirect_uris[0]!;
  }

  async authorizationUrl(params: Record<string, string> = {}): Promise<AuthorizationAttempt> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(this.config, {
      redirect_uri: this.redirectUri,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...params,
    });
    return { url: url.href, verifier, state, nonce };
  }

  /** Redeems the code in `callbackUrl`; openid-client checks iss, state, PKCE and the ID token. */
  redeem(callbackUrl: string, attempt: AuthorizationAttempt) {
    return oidc.authorizationCodeGrant(this.config, new URL(callbackUrl), {
      pkceCodeVerifier: attempt.verifier,
      expectedState: attempt.state,
      expectedNonce: attempt.nonce,
      idTokenExpected: true,
    });
  }
}

export { oidc };
