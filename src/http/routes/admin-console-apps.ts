// The console's Apps: the registered clients, and registering, editing, rotating the secret of
// and deleting one, with every option `linkid-admin client create` takes as one plain form field
// (APP_FIELDS, in the CLI's order, each with its help text; a flag that takes several values is a
// textarea, one per line). A secret is shown once, in the answer to the POST that made it, and
// never again: no page shows a stored one, and every console answer is Cache-Control: no-store.
// A service client of the admin API (`--admin-api`: client credentials, scope linkid:admin) is
// registered by the same form with only what was filled in, so src/admin/clients.ts refuses, field
// by field, whatever such a client cannot have; its edit form offers only what may change for it.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { ClientView } from '../../admin/clients.js';
import { APP_SCOPES } from '../../login/app-policy.js';
import { CLIENT_AUTH_METHODS, ID_TOKEN_SIGNING_ALGS } from '../../oidc/configuration/features.js';
import type { AccountVisit } from '../account-access.js';
import type { LinkidState } from '../state.js';
import { notFound, notFoundPage, problemsOf, readConsoleForm, type ConsoleKit, type FieldProblem } from './admin-console-kit.js';

type FieldKind = 'text' | 'url' | 'email' | 'number' | 'textarea' | 'select' | 'checkbox';

export interface AppField {
  /** The form field's name and input id. */
  readonly name: string;
  readonly kind: FieldKind;
  /** The CLI flag it is, as AdminError messages name it. */
  readonly flag: string;
  readonly options?: readonly string[];
  /** Only when registering (a client cannot become public or stop being public). */
  readonly createOnly?: boolean;
  readonly required?: boolean;
}

/** Every option of `client create`, as the form asks for it. Labels and help are `admin.app.<name>.label` / `.hint`. */
export const APP_FIELDS: readonly AppField[] = [
  { name: 'name', kind: 'text', flag: '--name', required: true },
  { name: 'admin_api', kind: 'checkbox', flag: '--admin-api', createOnly: true },
  { name: 'redirect_uris', kind: 'textarea', flag: '--redirect-uri' },
  { name: 'post_logout_redirect_uris', kind: 'textarea', flag: '--post-logout-redirect-uri' },
  { name: 'public', kind: 'checkbox', flag: '--public', createOnly: true },
  { name: 'device_flow', kind: 'checkbox', flag: '--device-flow' },
  { name: 'consent', kind: 'select', flag: '--consent', options: ['required', 'skip'] },
  { name: 'signup', kind: 'select', flag: '--signup', options: ['inherit', 'open', 'allowlist', 'closed'] },
  { name: 'signup_domains', kind: 'textarea', flag: '--signup-domains' },
  { name: 'link_ttl', kind: 'number', flag: '--link-ttl' },
  { name: 'scopes', kind: 'textarea', flag: '--scope' },
  { name: 'logo_uri', kind: 'url', flag: '--logo-uri' },
  { name: 'accent_color', kind: 'text', flag: '--accent-color' },
  { name: 'support_email', kind: 'email', flag: '--support-email' },
  { name: 'policy_uri', kind: 'url', flag: '--policy-uri' },
  { name: 'tos_uri', kind: 'url', flag: '--tos-uri' },
  { name: 'token_endpoint_auth_method', kind: 'select', flag: '--token-endpoint-auth-method', options: ['', ...CLIENT_AUTH_METHODS] },
  { name: 'jwks_uri', kind: 'url', flag: '--jwks-uri' },
  { name: 'jwks', kind: 'textarea', flag: '--jwks' },
  { name: 'id_token_signed_response_alg', kind: 'select', flag: '--id-token-signed-response-alg', options: ['', ...ID_TOKEN_SIGNING_ALGS] },
  { name: 'backchannel_logout_uri', kind: 'url', flag: '--backchannel-logout-uri' },
  { name: 'backchannel_logout_session_required', kind: 'select', flag: '--backchannel-logout-session-required', options: ['', 'true', 'false'] },
  { name: 'frontchannel_logout_uri', kind: 'url', flag: '--frontchannel-logout-uri' },
];

/** What a service client of the admin API may change (clients.ts checkAdminApiUpdate): its name and how it authenticates. */
const SERVICE_CLIENT_FIELDS: ReadonlySet<string> = new Set(['name', 'token_endpoint_auth_method', 'jwks_uri', 'jwks']);

/**
 * A client that signs nobody in, by kind: a service client of the admin API or of APIs, or an API's
 * introspection client (src/admin/clients.ts confines all three). Its form has the service fields only.
 */
function confinedKind(client: ClientView): 'admin-api' | 'resources' | 'introspection' | undefined {
  if (client.admin_api === true) return 'admin-api';
  if (client.settings.client_credentials === true) return 'resources';
  return typeof client.settings.introspects_resource === 'string' ? 'introspection' : undefined;
}

const labelOf = (name: string) => `admin.app.${name}.label`;
const LABELS = Object.fromEntries(APP_FIELDS.map((field) => [field.name, labelOf(field.name)]));
/** AdminError messages name flags; the form names fields. */
const FIELD_OF_FLAG = Object.fromEntries(APP_FIELDS.map((field) => [field.flag, { field: field.name, label: labelOf(field.name) }]));
Object.assign(FIELD_OF_FLAG, {
  '--no-device-flow': FIELD_OF_FLAG['--device-flow'],
  '--backchannel-logout-session-required': FIELD_OF_FLAG['--backchannel-logout-session-required'],
});
// A service client's refusals name --admin-api in their lead ("--admin-api makes a service client
// ...: --redirect-uri cannot be used with it"): the field at fault is the other flag.
delete FIELD_OF_FLAG['--admin-api'];

const text = (max: number) =>
  z
    .string()
    .max(max, { error: `at most ${max} characters` })
    .default('');
const choice = (options: readonly string[]) =>
  z.enum(options as [string, ...string[]], { error: `one of ${options.filter(Boolean).join(', ')}` }).default(options[0] ?? '');
const lines = (max: number) =>
  text(max * 40).transform((value, ctx) => {
    const list = value
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean);
    if (list.length > max) ctx.addIssue({ code: 'custom', message: `at most ${max} lines` });
    return list;
  });

/** The form as browsers send it: every field a string, a checkbox present ("on") or absent; anything else is refused. */
const appForm = z
  .object({
    name: text(100),
    admin_api: z.literal('on').optional(),
    redirect_uris: lines(20),
    post_logout_redirect_uris: lines(20),
    public: z.literal('on').optional(),
    device_flow: z.literal('on').optional(),
    consent: choice(['required', 'skip']),
    signup: choice(['inherit', 'open', 'allowlist', 'closed']),
    signup_domains: lines(50),
    link_ttl: z
      .string()
      .regex(/^\d{0,9}$/, { error: 'a whole number of seconds' })
      .default(''),
    scopes: lines(10),
    logo_uri: text(2000),
    accent_color: text(20),
    support_email: text(320),
    policy_uri: text(2000),
    tos_uri: text(2000),
    token_endpoint_auth_method: choice(['', ...CLIENT_AUTH_METHODS]),
    jwks_uri: text(2000),
    jwks: text(8000).transform((value, ctx) => {
      if (value.trim() === '') return undefined;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'a JSON Web Key Set ({"keys": [...]})' });
        return z.NEVER;
      }
    }),
    id_token_signed_response_alg: choice(['', ...ID_TOKEN_SIGNING_ALGS]),
    backchannel_logout_uri: text(2000),
    backchannel_logout_session_required: choice(['', 'true', 'false']),
    frontchannel_logout_uri: text(2000),
  })
  .strict();

type AppForm = z.infer<typeof appForm>;

/** Empty means "not set": left out when registering, removed (null) when editing. */
const orNull = (value: string) => (value.trim() === '' ? null : value.trim());

/** The OIDC options as metadata changes (null removes a key; the CLI's flags, src/admin/client-oidc-options.ts). */
function oidcMetadata(form: AppForm): Record<string, unknown> {
  return {
    token_endpoint_auth_method: orNull(form.token_endpoint_auth_method),
    jwks_uri: orNull(form.jwks_uri),
    jwks: form.jwks ?? null,
    id_token_signed_response_alg: orNull(form.id_token_signed_response_alg),
    backchannel_logout_uri: orNull(form.backchannel_logout_uri),
    backchannel_logout_session_required: form.backchannel_logout_session_required === '' ? null : form.backchannel_logout_session_required === 'true',
    frontchannel_logout_uri: orNull(form.frontchannel_logout_uri),
  };
}

/** The app options as `client create` and `client update` take them; empty branding is removed on update. */
function appOptions(form: AppForm, editing: boolean) {
  const branding = (value: string) => (value.trim() === '' ? (editing ? '' : undefined) : value.trim());
  return {
    name: form.name,
    redirectUris: form.redirect_uris,
    postLogoutRedirectUris: form.post_logout_redirect_uris,
    deviceFlow: form.device_flow === 'on',
    consent: form.consent as 'required' | 'skip',
    signup: form.signup as 'inherit',
    ...(form.signup_domains.length > 0 ? { signupDomains: form.signup_domains.join(',') } : {}),
    ...(form.link_ttl === '' ? {} : { linkTtlSeconds: form.link_ttl }),
    ...(form.scopes.length > 0 ? { scopes: form.scopes } : {}),
    logoUri: branding(form.logo_uri),
    accentColor: branding(form.accent_color),
    supportEmail: branding(form.support_email),
    policyUri: branding(form.policy_uri),
    tosUri: branding(form.tos_uri),
    metadata: oidcMetadata(form),
    // Emptied on edit: back to the defaults (the global link lifetime, the default scopes).
    settings: editing && form.link_ttl === '' ? { link_ttl_seconds: null } : {},
  };
}

/** What the register form starts with. */
const DEFAULTS: Record<string, string | boolean> = {
  consent: 'required',
  signup: 'inherit',
  scopes: APP_SCOPES.filter((scope) => scope !== 'offline_access').join('\n'),
};

/**
 * A service client's options: its name, how it authenticates, and only what else the form was
 * given (anything not left empty or at its default), for clients.ts to refuse by its own rules.
 */
function serviceClientOptions(form: AppForm) {
  const app = appOptions(form, false);
  const metadata = Object.fromEntries(Object.entries(app.metadata).filter(([key, value]) => value !== null || SERVICE_CLIENT_FIELDS.has(key)));
  const given = <T>(value: T, unset: boolean) => (unset ? {} : value);
  return {
    name: form.name,
    metadata,
    ...given({ redirectUris: form.redirect_uris }, form.redirect_uris.length === 0),
    ...given({ postLogoutRedirectUris: form.post_logout_redirect_uris }, form.post_logout_redirect_uris.length === 0),
    ...given({ deviceFlow: true }, form.device_flow !== 'on'),
    ...given({ consent: app.consent }, form.consent === DEFAULTS.consent),
    ...given({ signup: app.signup }, form.signup === DEFAULTS.signup),
    ...given({ scopes: form.scopes }, form.scopes.length === 0 || form.scopes.join('\n') === DEFAULTS.scopes),
    ...(app.signupDomains === undefined ? {} : { signupDomains: app.signupDomains }),
    ...(app.linkTtlSeconds === undefined ? {} : { linkTtlSeconds: app.linkTtlSeconds }),
    ...Object.fromEntries(
      (['logoUri', 'accentColor', 'supportEmail', 'policyUri', 'tosUri'] as const).filter((key) => app[key] !== undefined).map((key) => [key, app[key]]),
    ),
  };
}

const str = (value: unknown) => (typeof value === 'string' ? value : '');

/** What the form shows for a stored client. */
function formValues(client: ClientView): Record<string, string | boolean> {
  const settings = client.settings;
  return {
    name: client.client_name,
    admin_api: client.admin_api === true,
    redirect_uris: client.redirect_uris.join('\n'),
    post_logout_redirect_uris: client.post_logout_redirect_uris.join('\n'),
    public: client.token_endpoint_auth_method === 'none',
    device_flow: Array.isArray(client.grant_types) && client.grant_types.includes('urn:ietf:params:oauth:grant-type:device_code'),
    consent: client.consent,
    signup: str(settings.signup) || 'inherit',
    signup_domains: Array.isArray(settings.signup_domains) ? settings.signup_domains.join('\n') : '',
    link_ttl: typeof settings.link_ttl_seconds === 'number' ? String(settings.link_ttl_seconds) : '',
    scopes: str(client.scope).split(' ').filter(Boolean).join('\n'),
    logo_uri: str(client.logo_uri),
    accent_color: str(settings.accent_color),
    support_email: str(settings.support_email),
    policy_uri: str(client.policy_uri),
    tos_uri: str(client.tos_uri),
    token_endpoint_auth_method: str(client.token_endpoint_auth_method),
    jwks_uri: str(client.jwks_uri),
    jwks: client.jwks === undefined ? '' : JSON.stringify(client.jwks, null, 2),
    id_token_signed_response_alg: str(client.id_token_signed_response_alg),
    backchannel_logout_uri: str(client.backchannel_logout_uri),
    backchannel_logout_session_required:
      typeof client.backchannel_logout_session_required === 'boolean' ? String(client.backchannel_logout_session_required) : '',
    frontchannel_logout_uri: str(client.frontchannel_logout_uri),
  };
}

/** What the form shows when it comes back with problems: what was typed. */
function typedValues(body: unknown): Record<string, string | boolean> {
  const typed = (body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(APP_FIELDS.map((field) => [field.name, field.kind === 'checkbox' ? typed[field.name] === 'on' : str(typed[field.name])]));
}

const appPath = (clientId: string) => `/admin/apps/${encodeURIComponent(clientId)}`;
const CLIENT_ID = /^[A-Za-z0-9_-]{1,200}$/;

export function adminAppRoutes(router: Router<LinkidState>, kit: ConsoleKit): void {
  const { admin } = kit;

  const formPage = (
    ctx: Context,
    visit: AccountVisit,
    options: { client?: ClientView; values: Record<string, string | boolean>; problems?: FieldProblem[]; saved?: boolean },
  ) => {
    const data = {
      saved: options.saved ?? false,
      fields: APP_FIELDS.filter((field) => (!options.client ? true : confinedKind(options.client) ? SERVICE_CLIENT_FIELDS.has(field.name) : !field.createOnly)),
      kind: options.client && confinedKind(options.client),
      // Every field has a value, empty when there is none (never "undefined" in a field).
      values: { ...Object.fromEntries(APP_FIELDS.map((field) => [field.name, field.kind === 'checkbox' ? false : ''])), ...options.values },
      client: options.client,
      action: options.client ? appPath(options.client.client_id) : '/admin/apps',
    };
    if (options.problems) kit.refuse(ctx, 'admin/app-form', 'apps', visit, options.problems, data);
    else kit.render(ctx, 'admin/app-form', 'apps', visit, data);
  };

  /** The client named in the path, or the not_found page. */
  const clientIn = async (ctx: Context): Promise<ClientView> => {
    const clientId = String((ctx.params as { id?: string }).id ?? '');
    if (!CLIENT_ID.test(clientId)) throw notFoundPage();
    return admin.clients.show(clientId).catch(notFound);
  };

  router.get('/admin/apps', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, '/admin/apps');
    if (!signedIn) return;
    const clients = await admin.clients.list();
    kit.render(ctx, 'admin/apps', 'apps', signedIn.visit, {
      deleted: ctx.query.deleted === '1',
      apps: clients.map((client) => ({
        id: client.client_id,
        name: client.client_name,
        href: appPath(client.client_id),
        redirectUris: client.redirect_uris,
        public: client.token_endpoint_auth_method === 'none',
        adminApi: client.admin_api === true,
        dynamicallyRegistered: client.dynamically_registered === true,
        createdAt: kit.when(ctx, Date.parse(client.created_at)),
      })),
    });
  });

  router.get('/admin/apps/new', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, '/admin/apps/new');
    if (signedIn) formPage(ctx, signedIn.visit, { values: DEFAULTS });
  });

  router.post('/admin/apps', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, '/admin/apps/new');
    if (!signedIn) return;
    const form = readConsoleForm(ctx, appForm, LABELS);
    if (!form.data) return formPage(ctx, signedIn.visit, { values: typedValues(ctx.request.body), problems: form.problems });
    let created: ClientView;
    try {
      const options =
        form.data.admin_api === 'on'
          ? { ...serviceClientOptions(form.data), ...(form.data.public === 'on' ? { isPublic: true } : {}), adminApi: true }
          : { ...appOptions(form.data, false), isPublic: form.data.public === 'on' };
      created = await admin.clients.create(options, { audit: signedIn.actor });
    } catch (error) {
      return formPage(ctx, signedIn.visit, { values: typedValues(ctx.request.body), problems: problemsOf(error, FIELD_OF_FLAG) });
    }
    kit.render(ctx, 'admin/app-secret', 'apps', signedIn.visit, { client: created, created: true, appUrl: appPath(created.client_id) });
  });

  router.get('/admin/apps/:id', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, ctx.path);
    if (!signedIn) return;
    const client = await clientIn(ctx);
    formPage(ctx, signedIn.visit, { client, values: formValues(client), saved: ctx.query.saved === '1' });
  });

  router.post('/admin/apps/:id', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, ctx.path);
    if (!signedIn) return;
    const client = await clientIn(ctx);
    const form = readConsoleForm(ctx, appForm, LABELS);
    if (!form.data) return formPage(ctx, signedIn.visit, { client, values: typedValues(ctx.request.body), problems: form.problems });
    if (form.data.public === 'on' || form.data.admin_api === 'on') {
      return formPage(ctx, signedIn.visit, {
        client,
        values: typedValues(ctx.request.body),
        problems: [
          {
            field: undefined,
            key: 'admin.problem.invalid',
            detail: `${form.data.public === 'on' ? '--public' : '--admin-api'} cannot be changed: register a new client instead`,
          },
        ],
      });
    }
    try {
      const options = confinedKind(client) ? serviceClientOptions(form.data) : appOptions(form.data, true);
      const updated = await admin.clients.update(client.client_id, options, { audit: signedIn.actor });
      // A client moved from keys to a secret gets its new secret here, once.
      if (updated.client_secret)
        return kit.render(ctx, 'admin/app-secret', 'apps', signedIn.visit, { client: updated, created: false, appUrl: appPath(updated.client_id) });
    } catch (error) {
      return formPage(ctx, signedIn.visit, { client, values: typedValues(ctx.request.body), problems: problemsOf(error, FIELD_OF_FLAG) });
    }
    ctx.status = 303;
    ctx.redirect(`${appPath(client.client_id)}?saved=1`);
  });

  router.post('/admin/apps/:id/secret', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, ctx.path.replace(/\/secret$/, ''));
    if (!signedIn) return;
    const client = await clientIn(ctx);
    let rotated: ClientView;
    try {
      rotated = await admin.clients.rotateSecret(client.client_id, signedIn.actor);
    } catch (error) {
      return formPage(ctx, signedIn.visit, { client, values: formValues(client), problems: problemsOf(error, {}) });
    }
    kit.render(ctx, 'admin/app-secret', 'apps', signedIn.visit, { client: rotated, created: false, appUrl: appPath(rotated.client_id) });
  });

  router.get('/admin/apps/:id/delete', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, ctx.path);
    if (!signedIn) return;
    const client = await clientIn(ctx);
    kit.render(ctx, 'admin/app-delete', 'apps', signedIn.visit, { client, action: `${appPath(client.client_id)}/delete`, backUrl: appPath(client.client_id) });
  });

  router.post('/admin/apps/:id/delete', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, ctx.path);
    if (!signedIn) return;
    const client = await clientIn(ctx);
    await admin.clients.delete(client.client_id, { audit: signedIn.actor }).catch(notFound);
    ctx.status = 303;
    ctx.redirect('/admin/apps?deleted=1');
  });
}
