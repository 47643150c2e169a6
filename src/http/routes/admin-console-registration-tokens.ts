// The console's initial access tokens for dynamic registration (RFC 7591 with
// DYNAMIC_REGISTRATION=initial-token), under Apps: the list (never a token, only its id, times and
// uses), making one (the token shown once, in the answer to the POST that made it, like a client
// secret; every console answer is Cache-Control: no-store), and revoking one after a confirmation,
// as apps and accounts are deleted. The same operations as `linkid-admin registration-token`
// (src/admin/registration-tokens.ts), audited with the admin as the actor.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { createRegistrationTokenInput, type RegistrationTokenView } from '../../admin/registration-tokens.js';
import type { AccountVisit } from '../account-access.js';
import type { LinkidState } from '../state.js';
import { notFound, notFoundPage, readConsoleForm, type ConsoleKit, type FieldProblem } from './admin-console-kit.js';

const REGISTRATION_TOKENS_PATH = '/admin/registration-tokens';
const TOKEN_ID = /^[A-Za-z0-9_-]{1,40}$/;
const LABELS = { expires_in: 'admin.tokens.expiresIn.label', uses: 'admin.tokens.uses.label' };
/** The form's defaults: the CLI's (one day, one use). */
const DEFAULTS = { expires_in: '1d', uses: '1' };

/** The form as browsers send it; empty fields take the CLI's defaults. What the values mean is createRegistrationTokenInput's to say. */
const tokenForm = z
  .object({
    expires_in: z.string().max(20, { error: 'at most 20 characters' }).default(''),
    uses: z.string().max(10, { error: 'at most 10 characters' }).default(''),
  })
  .strict();

/** The form's values as create takes them, or the problems, each on its field. */
function readTokenForm(ctx: Context): { input: { expiresIn?: string; uses?: string }; problems?: undefined } | { problems: FieldProblem[] } {
  const form = readConsoleForm(ctx, tokenForm, LABELS);
  if (!form.data) return { problems: form.problems };
  const input = {
    ...(form.data.expires_in.trim() === '' ? {} : { expiresIn: form.data.expires_in.trim() }),
    ...(form.data.uses.trim() === '' ? {} : { uses: form.data.uses.trim() }),
  };
  const checked = createRegistrationTokenInput.safeParse(input);
  if (checked.success) return { input };
  return {
    problems: checked.error.issues.map((issue) => {
      const field = issue.path[0] === 'expiresIn' ? 'expires_in' : 'uses';
      return { field, label: LABELS[field], key: 'admin.problem.invalid' as const, detail: issue.message };
    }),
  };
}

const tokenPath = (id: string) => `${REGISTRATION_TOKENS_PATH}/${encodeURIComponent(id)}`;

export function adminRegistrationTokenRoutes(router: Router<LinkidState>, kit: ConsoleKit): void {
  const tokens = kit.admin.registrationTokens;
  /** oidc-provider's registration endpoint (its default route, /reg). */
  const registrationEndpoint = `${kit.config.issuer}/reg`;

  const view = (ctx: Context, token: RegistrationTokenView) => ({
    id: token.id,
    state: token.state,
    created: kit.when(ctx, Date.parse(token.created_at)),
    expires: kit.when(ctx, Date.parse(token.expires_at)),
    uses: token.uses,
    used: token.used,
    usesLeft: token.uses_left,
    revokeUrl: token.state === 'live' ? `${tokenPath(token.id)}/revoke` : undefined,
  });

  const listPage = async (ctx: Context, visit: AccountVisit, options: { values?: Record<string, string>; problems?: FieldProblem[] } = {}) => {
    const data = {
      mode: kit.config.dynamicRegistration,
      endpoint: registrationEndpoint,
      tokens: (await tokens.list()).map((token) => view(ctx, token)),
      values: { ...DEFAULTS, ...options.values },
      action: REGISTRATION_TOKENS_PATH,
      revoked: ctx.query.revoked === '1',
    };
    if (options.problems) kit.refuse(ctx, 'admin/registration-tokens', 'apps', visit, options.problems, data);
    else kit.render(ctx, 'admin/registration-tokens', 'apps', visit, data);
  };

  /** The token named in the path (live or not), or the not_found page. */
  const tokenIn = async (ctx: Context): Promise<RegistrationTokenView> => {
    const id = String((ctx.params as { id?: string }).id ?? '');
    const token = TOKEN_ID.test(id) ? (await tokens.list()).find((entry) => entry.id === id) : undefined;
    if (!token) throw notFoundPage();
    return token;
  };

  router.get(REGISTRATION_TOKENS_PATH, async (ctx) => {
    const signedIn = await kit.signedIn(ctx, REGISTRATION_TOKENS_PATH);
    if (signedIn) await listPage(ctx, signedIn.visit);
  });

  router.post(REGISTRATION_TOKENS_PATH, async (ctx) => {
    const signedIn = await kit.signedIn(ctx, REGISTRATION_TOKENS_PATH);
    if (!signedIn) return;
    const form = readTokenForm(ctx);
    if (form.problems) {
      const typed = (ctx.request.body ?? {}) as Record<string, unknown>;
      const str = (value: unknown) => (typeof value === 'string' ? value : '');
      const values = { expires_in: str(typed.expires_in), uses: str(typed.uses) };
      return listPage(ctx, signedIn.visit, { values, problems: form.problems });
    }
    const made = await tokens.create(form.input, signedIn.actor);
    kit.render(ctx, 'admin/registration-token', 'apps', signedIn.visit, {
      mode: kit.config.dynamicRegistration,
      endpoint: registrationEndpoint,
      token: { ...view(ctx, made), secret: made.token },
      backUrl: REGISTRATION_TOKENS_PATH,
    });
  });

  router.get(`${REGISTRATION_TOKENS_PATH}/:id/revoke`, async (ctx) => {
    const signedIn = await kit.signedIn(ctx, ctx.path);
    if (!signedIn) return;
    const token = await tokenIn(ctx);
    kit.render(ctx, 'admin/registration-token-revoke', 'apps', signedIn.visit, {
      token: view(ctx, token),
      action: `${tokenPath(token.id)}/revoke`,
      backUrl: REGISTRATION_TOKENS_PATH,
    });
  });

  router.post(`${REGISTRATION_TOKENS_PATH}/:id/revoke`, async (ctx) => {
    const signedIn = await kit.signedIn(ctx, ctx.path);
    if (!signedIn) return;
    const token = await tokenIn(ctx);
    await tokens.revoke(token.id, signedIn.actor).catch(notFound);
    ctx.status = 303;
    ctx.redirect(`${REGISTRATION_TOKENS_PATH}?revoked=1`);
  });
}
