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

  /**
   * Discovers linkid as `client`, authenticating at the token endpoint with the client's own
   * token_endpoint_auth_method (private_key_jwt signs with `privateKey`), and expecting ID tokens
   * signed with the client's id_token_signed_response_alg.
   */
  static async discover(issuer: string, client: ClientView, options: { privateKey?: oidc.CryptoKey | oidc.PrivateKey } = {}): Promise<RelyingParty> {
    const metadata: Partial<oidc.ClientMetadata> = {
      ...(client.client_secret ? { client_secret: client.client_secret } : {}),
      ...(typeof client.id_token_signed_response_alg === 'string' ? { id_token_signed_response_alg: client.id_token_signed_response_alg } : {}),
    };
    const config = await oidc.discovery(new URL(issuer), client.client_id, metadata, clientAuth(client, options.privateKey), {
      execute: [oidc.allowInsecureRequests],
    });
    return new RelyingParty(config, client);
  }

  get redirectUri(): string {
    return this.client.redirect_uris[0]!;
  }

  /** The least authorization request linkid takes from this app, as raw parameters: for requests a test builds by hand and never redeems. */
  bareRequest(): Record<string, string> {
    return {
      client_id: this.client.client_id,
      response_type: 'code',
      redirect_uri: this.redirectUri,
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    };
  }

  async authorizationUrl(params: Record<string, string> = {}): Promise<AuthorizationAttempt> {
    return this.attempt(params, (parameters) => oidc.buildAuthorizationUrl(this.config, parameters));
  }

  /** The same request pushed first (RFC 9126): the URL carries only client_id and request_uri. */
  async pushedAuthorizationUrl(params: Record<string, string> = {}, options: oidc.DPoPOptions = {}): Promise<AuthorizationAttempt> {
    return this.attempt(params, (parameters) => oidc.buildAuthorizationUrlWithPAR(this.config, parameters, options));
  }

  /** The same request as a request object signed with `key` (RFC 9101), in the URL or pushed first. */
  async signedAuthorizationUrl(key: oidc.CryptoKey | oidc.PrivateKey, params: Record<string, string> = {}, pushed = false): Promise<AuthorizationAttempt> {
    return this.attempt(params, async (parameters) => {
      const signed = await oidc.buildAuthorizationUrlWithJAR(this.config, parameters, key);
      return pushed ? oidc.buildAuthorizationUrlWithPAR(this.config, signed.searchParams) : signed;
    });
  }

  private async attempt(params: Record<string, string>, build: (parameters: Record<string, string>) => URL | Promise<URL>): Promise<AuthorizationAttempt> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = params.state ?? oidc.randomState();
    const nonce = params.nonce ?? oidc.randomNonce();
    const url = await build({
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
  redeem(callbackUrl: string, attempt: AuthorizationAttempt, options: oidc.DPoPOptions = {}) {
    return oidc.authorizationCodeGrant(
      this.config,
      new URL(callbackUrl),
      {
        pkceCodeVerifier: attempt.verifier,
        expectedState: attempt.state,
        expectedNonce: attempt.nonce,
        idTokenExpected: true,
      },
      undefined,
      options,
    );
  }
}

function clientAuth(client: ClientView, privateKey: oidc.CryptoKey | oidc.PrivateKey | undefined): oidc.ClientAuth {
  const secret = client.client_secret ?? '';
  switch (client.token_endpoint_auth_method) {
    case 'client_secret_post':
      return oidc.ClientSecretPost(secret);
    case 'client_secret_jwt':
      return oidc.ClientSecretJwt(secret);
    case 'private_key_jwt':
      if (!privateKey) throw new Error('a private_key_jwt client needs its private key');
      return oidc.PrivateKeyJwt(privateKey);
    case 'none':
      return oidc.None();
    default:
      return oidc.ClientSecretBasic(secret);
  }
}

export { oidc };
