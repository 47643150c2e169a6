// The magic-link flow without HTTP: request a link (rate limits on the request path, everything
// that depends on the address off it), open and confirm a link with one atomic consume, renew a
// used link for the same sign-in, and sign in with the 6-digit code from the same email.
import type { Clock } from '../clock.js';
import type { MagicLinkEmail } from '../mail/magic-link-email.js';
import type { SendQueue } from '../mail/send-queue.js';
import type { Audit } from '../observability/audit.js';
import type { LoginTokenRecord, Store } from '../store/port.js';
import type { OffRequest } from './off-request.js';
import { decideConfirm, decideLinkOpen, decideSignup, type Decision, type SignupPolicy } from './policy.js';
import { emailKey, type LimitName, type RateLimits } from './rate-limits.js';
import type { Reason } from './reasons.js';
import { LINK_TOKEN_PATTERN, codeHmac, equalDigests, newCode, newLinkToken, sha256 } from './token-crypto.js';

export interface LinkRequest {
  readonly email: string;
  readonly interactionUid: string;
  readonly clientId: string;
  readonly clientName: string;
  readonly bindingNonce: string;
  readonly ip: string;
  readonly userAgent: string;
  readonly requestId: string;
}

export type LinkLookup =
  | { readonly allow: true; readonly token: LoginTokenRecord }
  | { readonly allow: false; readonly reason: Reason; readonly retryAfterSeconds?: number };

export interface ConfirmInput {
  readonly rawToken: unknown;
  readonly interactionUid: string;
  readonly bindingNonce: string | undefined;
  readonly sameOrigin: boolean;
  readonly ip: string;
}

export interface CodeInput {
  readonly code: unknown;
  readonly interactionUid: string;
  readonly bindingNonce: string | undefined;
  readonly ip: string;
}

export interface MagicLinkServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly sendQueue: Pick<SendQueue, 'enqueue' | 'recordSkipped'>;
  readonly email: MagicLinkEmail;
  readonly audit: Audit;
  readonly limits: RateLimits;
  readonly offRequest: OffRequest;
  readonly serverSecret: Buffer;
  readonly issuer: string;
  readonly ttlSeconds: number;
  readonly codeMaxAttempts: number;
  readonly signup: SignupPolicy;
  /** Whether the oidc-provider interaction still waits for a login (so a new link can finish it). */
  readonly isInteractionPending: (uid: string) => Promise<boolean>;
}

export type MagicLinkService = ReturnType<typeof createMagicLinkService>;

const MAX_USER_AGENT_LENGTH = 512;
const CODE_PATTERN = /^\d{6}$/;

interface Delivery {
  readonly email: string;
  readonly interactionUid: string;
  readonly clientId: string;
  readonly clientName: string;
  readonly bindingHash: string;
  readonly ip: string;
  readonly userAgent: string;
  readonly requestId: string;
}

export function createMagicLinkService(deps: MagicLinkServiceDeps) {
  const { store, clock, audit, limits } = deps;
  const tokenId = (token: LoginTokenRecord | undefined) => token?.hash.slice(0, 12);

  const lookup = async (rawToken: unknown) =>
    typeof rawToken === 'string' && LINK_TOKEN_PATTERN.test(rawToken) ? store.loginTokens.findByHash(sha256(rawToken)) : undefined;

  const refuse = (decision: Decision & { allow: false }, fields: Record<string, unknown>): LinkLookup => {
    audit('login.refused', { reason: decision.reason, ...fields });
    return decision;
  };

  /** Spends a point of each limit in order and stops at the first refusal. */
  const spend = async (checks: readonly [LimitName, string][]): Promise<Decision & { limit?: LimitName }> => {
    for (const [name, key] of checks) {
      const decision = await limits.consume(name, key);
      if (!decision.allow) return { ...decision, limit: name };
    }
    return { allow: true };
  };

  /** Off the request path: decide by account and sign-up policy, store the token, send the mail. */
  const deliver = async (request: Delivery): Promise<void> => {
    const account = await store.users.findByEmail(request.email);
    const signup = decideSignup(deps.signup, request.email, account !== undefined);
    if (!signup.allow) {
      audit('login.refused', { reason: signup.reason, step: 'send', interactionUid: request.interactionUid, clientId: request.clientId });
      // The status page must look the same as for a real send: record a finished, empty entry.
      await deps.sendQueue.recordSkipped({ to: request.email, interactionUid: request.interactionUid, bindingHash: request.bindingHash, requestId: request.requestId });
      return;
    }
    const token = newLinkToken();
    const code = newCode();
    const hash = sha256(token);
    const now = clock.now();
    const expiresAt = now + deps.ttlSeconds * 1000;
    await store.loginTokens.insert({
      hash,
      email: request.email,
      interactionUid: request.interactionUid,
      clientId: request.clientId,
      bindingHash: request.bindingHash,
      codeHmac: codeHmac(deps.serverSecret, hash, code),
      ip: request.ip,
      userAgent: request.userAgent.slice(0, MAX_USER_AGENT_LENGTH),
      createdAt: now,
      expiresAt,
      usedAt: null,
      codeAttempts: 0,
    });
    const link = `${deps.issuer}/login/link?token=${token}`;
    const cancelLink = `${deps.issuer}/login/cancel?token=${token}`;
    const message = deps.email.render({
      to: request.email,
      link,
      cancelLink,
      code,
      appName: request.clientName,
      expiresAt,
      ttlSeconds: deps.ttlSeconds,
      ip: request.ip,
      userAgent: request.userAgent,
    });
    // The token is stored before its mail is queued, never the other way round.
    await deps.sendQueue.enqueue(message, {
      interactionUid: request.interactionUid,
      bindingHash: request.bindingHash,
      requestId: request.requestId,
      giveUpAt: expiresAt,
    });
    audit('login.link_sent', { tokenId: hash.slice(0, 12), clientId: request.clientId, interactionUid: request.interactionUid });
  };

  const sendLimits = (email: string, ip: string): [LimitName, string][] => [
    ['RATE_LIMIT_SEND_PER_IP', ip],
    ['RATE_LIMIT_SEND_PER_EMAIL', emailKey(email)],
    ['RATE_LIMIT_SEND_PER_IP_EMAIL', `${ip}|${emailKey(email)}`],
  ];

  /** The confirm POST's policy decision alone; consumes nothing. */
  const check = async (input: ConfirmInput, found?: { token: LoginTokenRecord | undefined }): Promise<LinkLookup> => {
    const token = found ? found.token : await lookup(input.rawToken);
    const decision = decideConfirm({
      token,
      now: clock.now(),
      interactionUid: input.interactionUid,
      bindingHash: input.bindingNonce ? sha256(input.bindingNonce) : undefined,
      sameOrigin: input.sameOrigin,
    });
    if (!decision.allow) return refuse(decision, { step: 'confirm', tokenId: tokenId(token) });
    return { allow: true, token: token! };
  };

  return {
    check: (input: ConfirmInput) => check(input),

    /** The email form. Answers the same for every address; the send itself happens off the request. */
    async requestLink(request: LinkRequest): Promise<Decision> {
      const bindingHash = sha256(request.bindingNonce);
      const limited = await spend([
        ['RATE_LIMIT_SEND_PER_BROWSER', bindingHash],
        ...sendLimits(request.email, request.ip),
        ['RESEND_COOLDOWN', `${request.interactionUid}|${emailKey(request.email)}`],
      ]);
      if (!limited.allow) {
        audit('login.refused', { reason: limited.reason, limit: limited.limit, step: 'request', interactionUid: request.interactionUid });
        return limited;
      }
      deps.offRequest.run('send sign-in link', () => deliver({ ...request, bindingHash }));
      return { allow: true };
    },

    /**
     * A new link for the sign-in a used or expired link belonged to, bound to the same browser.
     * No resend cooldown here (the old link is proof enough of a real sign-in); the per-address and
     * per-IP send limits still apply.
     */
    async renew(rawToken: unknown, ip: string, requestId: string, clientName: (clientId: string) => Promise<string>): Promise<Decision> {
      const token = await lookup(rawToken);
      if (!token) return refuse({ allow: false, reason: 'token_unknown' }, { step: 'renew' });
      if (token.usedAt === null && token.expiresAt > clock.now()) {
        return refuse({ allow: false, reason: 'invalid_request' }, { step: 'renew', tokenId: tokenId(token) });
      }
      if (!(await deps.isInteractionPending(token.interactionUid))) {
        return refuse({ allow: false, reason: 'interaction_expired' }, { step: 'renew', tokenId: tokenId(token) });
      }
      const limited = await spend(sendLimits(token.email, ip));
      if (!limited.allow) return refuse(limited as Decision & { allow: false }, { step: 'renew', limit: limited.limit, tokenId: tokenId(token) });
      const delivery: Delivery = { ...token, clientName: await clientName(token.clientId), ip, userAgent: token.userAgent, requestId };
      deps.offRequest.run('renew sign-in link', () => deliver(delivery));
      return { allow: true };
    },

    /**
     * "This wasn't me": spends the token and every other pending token of its sign-in, so nothing
     * from that request can sign in any more. Needs no binding cookie: the person who got the
     * email may open it anywhere.
     */
    async cancel(rawToken: unknown, ip: string): Promise<LinkLookup> {
      const limited = await limits.consume('RATE_LIMIT_VERIFY_PER_IP', ip);
      if (!limited.allow) return refuse(limited, { step: 'cancel' });
      const token = await lookup(rawToken);
      const decision = decideLinkOpen(token, clock.now());
      if (!decision.allow) return refuse(decision, { step: 'cancel', tokenId: tokenId(token) });
      const outcome = await store.loginTokens.consume(token!.hash, clock.now());
      if (!outcome.consumed) return refuse({ allow: false, reason: outcome.reason }, { step: 'cancel', tokenId: tokenId(token) });
      for (const other of await store.loginTokens.listPending(token!.interactionUid, clock.now())) {
        await store.loginTokens.consume(other.hash, clock.now());
      }
      audit('login.cancelled', { tokenId: tokenId(token), clientId: token!.clientId, interactionUid: token!.interactionUid, ip });
      return { allow: true, token: outcome.token };
    },

    /** For the confirm page (GET and HEAD): never changes anything but the per-IP counter. */
    async open(rawToken: unknown, ip: string): Promise<LinkLookup> {
      const limited = await limits.consume('RATE_LIMIT_VERIFY_PER_IP', ip);
      if (!limited.allow) return refuse(limited, { step: 'open' });
      const token = await lookup(rawToken);
      const decision = decideLinkOpen(token, clock.now());
      if (!decision.allow) return refuse(decision, { step: 'open', tokenId: tokenId(token) });
      return { allow: true, token: token! };
    },

    /** The confirm POST: limits and policy first (nothing consumed on refusal), then one atomic consume. */
    async confirm(input: ConfirmInput): Promise<LinkLookup> {
      const token = await lookup(input.rawToken);
      const limited = await spend([
        ['RATE_LIMIT_VERIFY_PER_IP', input.ip],
        ...(token ? ([['RATE_LIMIT_VERIFY_PER_TOKEN', token.hash]] as [LimitName, string][]) : []),
      ]);
      if (!limited.allow) return refuse(limited as Decision & { allow: false }, { step: 'confirm', limit: limited.limit, tokenId: tokenId(token) });
      const checked = await check(input, { token });
      if (!checked.allow) return checked;
      const outcome = await store.loginTokens.consume(checked.token.hash, clock.now());
      if (!outcome.consumed) return refuse({ allow: false, reason: outcome.reason }, { step: 'consume', tokenId: tokenId(checked.token) });
      audit('login.confirmed', { tokenId: tokenId(outcome.token), clientId: outcome.token.clientId, interactionUid: input.interactionUid, via: 'link' });
      return { allow: true, token: outcome.token };
    },

    /**
     * The code typed in the window where the sign-in started. An attempt is reserved on every
     * pending token of this browser before any comparison, so no token is ever compared more than
     * codeMaxAttempts times, however many guesses arrive at once.
     */
    async verifyCode(input: CodeInput): Promise<LinkLookup> {
      const step = { step: 'code', interactionUid: input.interactionUid };
      const limited = await limits.consume('RATE_LIMIT_CODE_PER_IP', input.ip);
      if (!limited.allow) return refuse(limited, step);
      if (!input.bindingNonce) return refuse({ allow: false, reason: 'browser_mismatch' }, step);
      const code = typeof input.code === 'string' ? input.code.replace(/\s+/g, '') : '';
      if (!CODE_PATTERN.test(code)) return refuse({ allow: false, reason: 'code_invalid' }, step);
      const now = clock.now();
      const bindingHash = sha256(input.bindingNonce);
      const pending = (await store.loginTokens.listPending(input.interactionUid, now)).filter((token) =>
        equalDigests(token.bindingHash, bindingHash),
      );
      if (pending.length === 0) return refuse({ allow: false, reason: 'code_expired' }, step);
      const failuresKey = emailKey(pending[0]!.email);
      const locked = await limits.peek('RATE_LIMIT_CODE_FAILURES_PER_EMAIL', failuresKey);
      if (!locked.allow) return refuse({ allow: false, reason: 'code_locked' }, step);

      const reserved: LoginTokenRecord[] = [];
      for (const token of pending) {
        if (await store.loginTokens.reserveCodeAttempt(token.hash, deps.codeMaxAttempts, now)) reserved.push(token);
      }
      if (reserved.length === 0) return refuse({ allow: false, reason: 'code_locked' }, step);
      const match = reserved.find((token) => equalDigests(codeHmac(deps.serverSecret, token.hash, code), token.codeHmac));
      if (!match) {
        await limits.consume('RATE_LIMIT_CODE_FAILURES_PER_EMAIL', failuresKey);
        return refuse({ allow: false, reason: 'code_invalid' }, { ...step, tokenId: tokenId(reserved[0]) });
      }
      const outcome = await store.loginTokens.consume(match.hash, clock.now());
      if (!outcome.consumed) return refuse({ allow: false, reason: outcome.reason }, { ...step, tokenId: tokenId(match) });
      audit('login.confirmed', { tokenId: tokenId(match), clientId: match.clientId, interactionUid: input.interactionUid, via: 'code' });
      return { allow: true, token: outcome.token };
    },
  };
}
