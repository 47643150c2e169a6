// Dynamic client registration (RFC 7591) and its management (RFC 7592) by the same rules as
// `linkid-admin client create`: the request's metadata becomes the options of `client create` and
// `client update` (clients.ts), so PKCE, the redirect URI rules (http only on loopback), the auth
// methods and algorithms, and the per-app policy defaults are the CLI's own. A registered app
// always asks for consent (it is nobody's first-party app) and keeps the server's sign-up policy
// until an administrator gives it its own. Refusals are RFC 7591 errors: invalid_redirect_uri for
// a redirect URI, invalid_client_metadata for anything else, with the CLI's reason in words.
import { errors } from 'oidc-provider';
import { DEVICE_CODE_GRANT } from '../oidc/client-metadata.js';
import type { ClientRegistrar } from '../oidc/registration.js';
import type { Store } from '../store/port.js';
import { AdminError } from './admin-error.js';
import type { ClientAdmin, CreateClientInput, UpdateClientInput } from './clients.js';

/** The metadata a registration may set: what `client create` takes, by its RFC 7591 names. */
const STORED_METADATA = [
  'token_endpoint_auth_method',
  'jwks_uri',
  'jwks',
  'id_token_signed_response_alg',
  'backchannel_logout_uri',
  'backchannel_logout_session_required',
  'frontchannel_logout_uri',
  'subject_type',
  'sector_identifier_uri',
  // High-security apps (docs/high-security.md): RFC 9126 §6, RFC 9449 §5.2, RFC 9101 §10.5.
  'require_pushed_authorization_requests',
  'dpop_bound_access_tokens',
  'request_object_signing_alg',
] as const;

/**
 * Standard metadata that would change how the app is served but that linkid does not offer to
 * apps: refused rather than ignored, so an app never believes it has what it asked for. Anything
 * else unknown is ignored, as RFC 7591 section 2 asks (client_uri, contacts, software_id, ...).
 */
const REFUSED_METADATA = [
  'request_uris',
  'request_object_encryption_alg',
  'request_object_encryption_enc',
  'id_token_encrypted_response_alg',
  'id_token_encrypted_response_enc',
  'userinfo_signed_response_alg',
  'userinfo_encrypted_response_alg',
  'userinfo_encrypted_response_enc',
  'introspection_signed_response_alg',
  'introspection_encrypted_response_alg',
  'introspection_encrypted_response_enc',
  'authorization_signed_response_alg',
  'authorization_encrypted_response_alg',
  'authorization_encrypted_response_enc',
  'token_endpoint_auth_signing_alg',
  'default_max_age',
  'default_acr_values',
  'initiate_login_uri',
  'tls_client_certificate_bound_access_tokens',
  'tls_client_auth_subject_dn',
  'tls_client_auth_san_dns',
  'tls_client_auth_san_uri',
  'tls_client_auth_san_ip',
  'tls_client_auth_san_email',
  'software_statement',
  'backchannel_token_delivery_mode',
  'backchannel_client_notification_endpoint',
  'backchannel_authentication_request_signing_alg',
  'backchannel_user_code_parameter',
];

const GRANTS = ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT];

/** The CLI flag in a reason, and the metadata it stands for here. */
const NAME_OF_FLAG: Readonly<Record<string, string>> = {
  '--name': 'client_name',
  '--redirect-uri': 'redirect_uris',
  '--post-logout-redirect-uri': 'post_logout_redirect_uris',
  '--token-endpoint-auth-method': 'token_endpoint_auth_method',
  '--jwks-uri': 'jwks_uri',
  '--jwks': 'jwks',
  '--id-token-signed-response-alg': 'id_token_signed_response_alg',
  '--backchannel-logout-uri': 'backchannel_logout_uri',
  '--frontchannel-logout-uri': 'frontchannel_logout_uri',
  '--logo-uri': 'logo_uri',
  '--policy-uri': 'policy_uri',
  '--tos-uri': 'tos_uri',
  '--scope': 'scope',
  '--device-flow': `grant_types ${DEVICE_CODE_GRANT}`,
  '--no-device-flow': `grant_types without ${DEVICE_CODE_GRANT}`,
  '--public': 'token_endpoint_auth_method none',
  '--subject-type': 'subject_type',
  '--sector-identifier-uri': 'sector_identifier_uri',
  '--require-par': 'require_pushed_authorization_requests',
  '--require-dpop': 'dpop_bound_access_tokens',
  '--request-object-signing-alg': 'request_object_signing_alg',
};

const invalid = (description: string) => new errors.InvalidClientMetadata(description);

/** The CLI's refusal as an RFC 7591 error, in the request's own names. */
function asRegistrationError(error: unknown): unknown {
  if (!(error instanceof AdminError)) return error;
  const description = error.message.replace(/--[a-z-]+/g, (flag) => NAME_OF_FLAG[flag] ?? flag);
  if (error.code !== 'invalid_argument') return invalid(description);
  return /^(post_logout_)?redirect_uris\b/.test(description) || /; (post_logout_)?redirect_uris\b/.test(description)
    ? new errors.CustomOIDCProviderError('invalid_redirect_uri', description)
    : invalid(description);
}

const stringList = (value: unknown, name: string): string[] | undefined => {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw invalid(`${name} must be an array of strings`);
  return value as string[];
};

const optionalString = (value: unknown, name: string): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${name} must be a string`);
  return value;
};

/** Checks what the CLI has no flag for (grant and response types, refused metadata) and reads the rest as `client create` options. */
function optionsOf(metadata: Readonly<Record<string, unknown>>) {
  const refused = REFUSED_METADATA.filter((key) => metadata[key] !== undefined);
  if (refused.length > 0) throw invalid(`${refused.join(', ')}: not supported by this server`);
  const grantTypes = stringList(metadata.grant_types, 'grant_types');
  const unknownGrants = grantTypes?.filter((grant) => !GRANTS.includes(grant)) ?? [];
  if (unknownGrants.length > 0) throw invalid(`grant_types ${unknownGrants.join(', ')} is not offered: only ${GRANTS.join(', ')}`);
  const responseTypes = stringList(metadata.response_types, 'response_types');
  if (responseTypes?.some((type) => type !== 'code')) throw invalid('response_types must be code: the implicit and hybrid flows are not offered');
  const method = optionalString(metadata.token_endpoint_auth_method, 'token_endpoint_auth_method');
  const scope = optionalString(metadata.scope, 'scope');
  const stored = Object.fromEntries(
    STORED_METADATA.flatMap((key) =>
      metadata[key] === undefined || (key === 'token_endpoint_auth_method' && method === 'none') ? [] : [[key, metadata[key]]],
    ),
  );
  return {
    name: optionalString(metadata.client_name, 'client_name') ?? '',
    redirectUris: stringList(metadata.redirect_uris, 'redirect_uris') ?? [],
    postLogoutRedirectUris: stringList(metadata.post_logout_redirect_uris, 'post_logout_redirect_uris') ?? [],
    isPublic: method === 'none',
    deviceFlow: grantTypes?.includes(DEVICE_CODE_GRANT) ?? false,
    logoUri: optionalString(metadata.logo_uri, 'logo_uri'),
    policyUri: optionalString(metadata.policy_uri, 'policy_uri'),
    tosUri: optionalString(metadata.tos_uri, 'tos_uri'),
    scopes: scope === undefined ? undefined : scope.split(' ').filter(Boolean),
    metadata: stored,
  };
}

/** The registrar oidc-provider's registration endpoints store through (src/oidc/registration.ts). */
export function createClientRegistration(clients: ClientAdmin, store: Pick<Store, 'clients'>): ClientRegistrar {
  const origin = { via: 'registration' } as const;
  return {
    async register({ clientId, metadata, secretSalt, admit }) {
      const options = optionsOf(metadata);
      if (!options.name.trim()) throw invalid('client_name is required: people see it when they sign in to the app');
      const input: CreateClientInput = { ...options, consent: 'required' };
      try {
        await clients.create(input, {
          audit: origin,
          clientId,
          ...(secretSalt ? { secretSalt } : {}),
          beforeStore: async () => {
            const admitted = await admit();
            return { initialTokenId: admitted.initialTokenId };
          },
          settings: { registration: { via: 'dynamic' } },
        });
      } catch (error) {
        throw asRegistrationError(error);
      }
    },

    async update(clientId, metadata) {
      const { isPublic, metadata: stored, logoUri, policyUri, tosUri, scopes, ...options } = optionsOf(metadata);
      const current = await store.clients.find(clientId);
      if (!current) throw invalid('the client is gone');
      if (isPublic !== current.isPublic) {
        throw invalid('token_endpoint_auth_method cannot change between none (a public app) and a secret or keys: register a new client');
      }
      // RFC 7592 section 2.2: the request holds the whole registration; what it leaves out goes.
      const removed = Object.fromEntries(STORED_METADATA.filter((key) => !(key in stored)).map((key) => [key, null]));
      const input: UpdateClientInput = {
        ...options,
        // An app on a device alone (the device grant) has no redirect URI to keep.
        redirectUris: options.redirectUris.length > 0 ? options.redirectUris : undefined,
        metadata: { ...removed, ...stored, ...(scopes === undefined ? { scope: null } : {}) },
        logoUri: logoUri ?? '',
        policyUri: policyUri ?? '',
        tosUri: tosUri ?? '',
        ...(scopes === undefined ? {} : { scopes }),
      };
      if (!options.name.trim()) throw invalid('client_name is required: people see it when they sign in to the app');
      try {
        await clients.update(clientId, input, { audit: origin });
      } catch (error) {
        throw asRegistrationError(error);
      }
    },

    async remove(clientId) {
      try {
        await clients.delete(clientId, { audit: origin });
      } catch (error) {
        throw asRegistrationError(error);
      }
    },
  };
}
