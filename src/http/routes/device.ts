// The device authorization grant's HTTP edge (RFC 8628; oidc-provider serves /device, its pages
// are src/oidc/configuration/device-flow.ts). What oidc-provider does not do itself:
// - /device is a page scanners may fetch: HEAD answers at once (no session, no cookie), and a GET
//   with `user_code` (verification_uri_complete) shows the code in the form instead of posting it;
// - posting a code needs our own origin, as every form post does (same-origin.ts), and an IP
//   whose guesses are spent (RATE_LIMIT_DEVICE_CODE_PER_IP) is refused before anything is looked up;
// - a device polling the token endpoint faster than the interval RFC 8628 gives it (5 s, the
//   default oidc-provider's answer implies) hears `slow_down`; the poll counter is keyed by a
//   digest of the device code, never the code;
// - after the sign-in, the approval page (the consent prompt src/oidc/device-approval.ts asks for)
//   names the app, the account and the code, and posts to the consent route like any consent.
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { Audit } from '../../kernel/audit.js';
import { formatUserCode } from '../../kernel/device-code-format.js';
import { sha256 } from '../../kernel/token-crypto.js';
import type { PageDeps } from '../../i18n/pages.js';
import type { RateLimits } from '../../login/rate-limits.js';
import { flowPath } from '../../login/flow-paths.js';
import { DEVICE_PATH, prefillUserCode } from '../../oidc/configuration/device-flow.js';
import { DEVICE_CODE_GRANT } from '../../oidc/client-metadata.js';
import type { RateLimiter, UserStore } from '../../store/port.js';
import { ReasonError, renderReason } from '../errors.js';
import { clientNameOf, type InteractionDetails } from '../interaction-details.js';
import { renderPage } from '../render.js';
import { isSameOrigin } from '../same-origin.js';

/** RFC 8628 section 3.2: without an `interval` in the answer, a device polls every 5 seconds. */
export const DEVICE_POLL_INTERVAL_SECONDS = 5;

export interface DeviceFlowEdgeDeps {
  readonly pages: PageDeps;
  readonly audit: Audit;
  readonly limits: Pick<RateLimits, 'peek'>;
  /** One poll per interval per device code. */
  readonly polls: RateLimiter;
  readonly issuerOrigin: string;
  /** oidc-provider's name for one of its cookies (Provider#cookieName). */
  readonly cookieName: (type: string) => string;
}

async function guardCodePage(ctx: Context, deps: DeviceFlowEdgeDeps, next: () => Promise<unknown>): Promise<unknown> {
  if (ctx.method === 'HEAD') {
    ctx.status = 200;
    ctx.type = 'html';
    return undefined;
  }
  if (ctx.method === 'GET') {
    const { user_code: typed, ...rest } = ctx.query;
    if (typeof typed === 'string') prefillUserCode(ctx, typed);
    if (typed !== undefined) ctx.query = rest;
    return next();
  }
  if (ctx.method !== 'POST') return next();
  if (!isSameOrigin(ctx, deps.issuerOrigin)) {
    deps.audit('login.refused', { reason: 'origin_mismatch', step: 'origin', method: ctx.method, requestId: ctx.state.requestId });
    return renderReason(ctx, deps.pages, 'origin_mismatch');
  }
  const budget = await deps.limits.peek('RATE_LIMIT_DEVICE_CODE_PER_IP', ctx.ip);
  if (!budget.allow) {
    deps.audit('login.refused', { reason: 'rate_limited', step: 'device', limit: 'RATE_LIMIT_DEVICE_CODE_PER_IP' });
    return renderReason(ctx, deps.pages, 'rate_limited', { retryAfterSeconds: budget.retryAfterSeconds, link: { url: DEVICE_PATH, label: 'device.tryAgain' } });
  }
  return next();
}

/** After oidc-provider answered a device's poll with authorization_pending: too soon since the last one is slow_down. */
async function slowDown(ctx: Context, polls: RateLimiter): Promise<void> {
  const oidc = (ctx as { oidc?: { params?: Record<string, unknown> } }).oidc;
  const params = oidc?.params;
  const body = ctx.body as { error?: unknown } | undefined;
  if (params?.grant_type !== DEVICE_CODE_GRANT || typeof params.device_code !== 'string' || body?.error !== 'authorization_pending') return;
  if ((await polls.consume(sha256(params.device_code))).allowed) return;
  ctx.body = { error: 'slow_down', error_description: `poll at most every ${DEVICE_POLL_INTERVAL_SECONDS} seconds, and 5 more after each slow_down` };
}

/**
 * /device/:uid resumes a device's sign-in in the browser that holds its cookies. Without them
 * (a scanner, a link shared elsewhere) it is over before oidc-provider starts: there, it would
 * make a session to put a fresh form in and fail to save it (a 500).
 */
function resumesWithoutCookies(ctx: Context, deps: DeviceFlowEdgeDeps): boolean {
  if (!ctx.path.startsWith(`${DEVICE_PATH}/`) || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return false;
  return ['session', 'resume'].some((cookie) => !ctx.cookies.get(deps.cookieName(cookie)));
}

export function deviceFlowEdge(deps: DeviceFlowEdgeDeps): Middleware {
  return async (ctx, next) => {
    if (ctx.path === DEVICE_PATH) return guardCodePage(ctx, deps, next);
    if (resumesWithoutCookies(ctx, deps)) return renderReason(ctx, deps.pages, 'interaction_expired');
    await next();
    if (ctx.path === '/token' && ctx.method === 'POST' && ctx.status === 400) await slowDown(ctx, deps.polls);
    return undefined;
  };
}

export interface DeviceApprovalDeps {
  readonly provider: Provider;
  readonly pages: PageDeps;
  readonly users: UserStore;
}

/** The consent prompt of a device's sign-in: the app, the account and the code, to approve or deny. */
export async function renderDeviceApproval(ctx: Context, deps: DeviceApprovalDeps, details: InteractionDetails, deviceCodeId: string): Promise<void> {
  const accountId = details.session?.accountId;
  const user = accountId ? await deps.users.findById(accountId) : undefined;
  const code = await deps.provider.DeviceCode.find(deviceCodeId, { ignoreExpiration: true });
  if (!user || !code) throw new ReasonError('interaction_expired');
  if (code.isExpired) throw new ReasonError('device_code_expired');
  renderPage(ctx, deps.pages, 'device-approve', {
    appName: await clientNameOf(deps.provider, details.params.client_id),
    email: user.email,
    userCode: formatUserCode(code.userCode),
    action: flowPath('consent', details.uid),
  });
}
