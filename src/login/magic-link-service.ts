// The magic-link flow without HTTP: request a link (rate limits on the request path, everything
// that depends on the address off it), open and confirm a link with one atomic consume, renew a
// used link for the same sign-in, cancel a sign-in for good, and sign in with the 6-digit code
// from the same email.
//
// Rules that hold for every step, not only the first:
// - An address that may not sign in walks the same states as one that may: it gets a pending
//   sign-in whose code was never sent and matches nothing, and a real email (saying it cannot
//   sign in there) that travels the same queue, so codes, delivery status and timing look alike.
// - A request refused by a limit spends no limit (consumeAll gives points back).
// - "This wasn't me" ends the sign-in: nothing can renew, resend or finish it afterwards.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { MagicLinkEmail } from '../mail/magic-link-email.js';
import type { SendQueue } from '../mail/send-queue.js';
import type { Audit } from '../observability/audit.js';
import type { SignInStates } from '../oidc/sign-in-state.js';
import type { LoginTokenRecord, Store } from '../store/port.js';
import type { OffRequest } from './off-request.js';
import { decideConfirm, decideLinkOpen, decideSignup, type Decision, type SignupPolicy } from './policy.js';
import { emailKey, type LimitCheck, type RateLimits } from './rate-limits.js';
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
  readonly sendQueue: Pick<SendQueue, 'enqueue'>;
  readonly email: MagicLinkEmail;
  readonly audit: Audit;
  readonly limits: RateLimits;
  readonly offRequest: OffRequest;
  readonly serverSecret: Buffer;
  readonly issuer: string;
  readonly ttlSeconds: number;
  readonly codeMaxAttempts: number;
  readonly signup: SignupPolicy;
  /** Whether a sign-in still waits for a login, was cancelled, or is gone; and cancelling one. */
  readonly signInStates: SignInStates;
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

  /**
   * A used or expired link says so, unless its sign-in was cancelled: then it says that, and
   * offers nothing (a renewal would revive what the owner of the address ended).
   */
  const explainSpent = async (decision: Decision & { allow: false }, token: LoginTokenRecord | undefined): Promise<Decision & { allow: false }> => {
    if (!token || (decision.reason !== 'token_used' && decision.reason !== 'token_expired')) return decision;
    return (await deps.signInStates.stateOf(token.interactionUid)) === 'cancelled' ? { allow: false, reason: 'sign_in_cancelled' } : decision;
  };

  /** Off the request path: decide by account and sign-up policy, store the token, send the mail. */
  const deliver = async (request: Delivery): Promise<void> => {
    const account = await store.users.findByEmail(request.email);
    const signup = decideSignup(deps.signup, request.email, account !== undefined);
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
      // A refused address gets a decoy: a pending sign-in like any other, whose code was never
      // sent and whose digest is random, so no guess can ever match it.
      codeHmac: signup.allow ? codeHmac(deps.serverSecret, hash, code) : randomBytes(32).toString('hex'),
      ip: request.ip,
      userAgent: request.userAgent.slice(0, MAX_USER_AGENT_LENGTH),
      createdAt: now,
      expiresAt,
      usedAt: null,
      codeAttempts: 0,
    });
    const common = {
      to: request.email,
      cancelLink: `${deps.issuer}/login/cancel?token=${token}`,
      appName: request.clientName,
      expiresAt,
      ttlSeconds: deps.ttlSeconds,
      ip: request.ip,
      userAgent: request.userAgent,
    };
    // The refused address is told so by mail (only its owner reads it): the mail goes through the
    // same queue, so the delivery status a browser sees moves exactly as a real sign-in's does.
    const message = signup.allow
      ? deps.email.render({ ...common, link: `${deps.issuer}/login/link?token=${token}`, code })
      : deps.email.renderRefused(common);
    // The token is stored before its mail is queued, never the other way round.
    await deps.sendQueue.enqueue(message, {
      interactionUid: request.interactionUid,
      bindingHash: request.bindingHash,
      requestId: request.requestId,
      giveUpAt: expiresAt,
    });
    const fields = { tokenId: hash.slice(0, 12), clientId: request.clientId, interactionUid: request.interactionUid };
    if (signup.allow) audit('login.link_sent', fields);
    else audit('login.refused', { reason: signup.reason, step: 'send', ...fields });
  };

  const sendLimits = (email: string, ip: string): LimitCheck[] => [
    ['RATE_LIMIT_SEND_PER_IP', ip],
    ['RATE_LIMIT_SEND_PER_EMAIL', emailKey(email)],
    ['RATE_LIMIT_SEND_PER_IP_EMAIL', `${ip}|${emailKey(email)}`],
  ];

  /** The confirm POST's policy decision alone; consumes nothing but a look-up from the IP's budget. */
  const check = async (input: ConfirmInput, found?: { token: LoginTokenRecord | undefined }): Promise<LinkLookup> => {
    const token = found ? found.token : await lookup(input.rawToken);
    const decision = decideConfirm({
      token,
      now: clock.now(),
      interactionUid: input.interactionUid,
      bindingHash: input.bindingNonce ? sha256(input.bindingNonce) : undefined,
      sameOrigin: input.sameOrigin,
    });
    if (!decision.allow) return refuse(await explainSpent(decision, token), { step: 'confirm', tokenId: tokenId(token) });
    if (!token) return refuse({ allow: false, reason: 'token_unknown' }, { step: 'confirm' });
    return { allow: true, token };
  };

  /** Whether a wrong code may still be compared with this address's codes. */
  const codeLocked = async (email: string) => !(await limits.peek('RATE_LIMIT_CODE_FAILURES_PER_EMAIL', emailKey(email))).allow;

  /**
   * The "This wasn't me" page (GET): shows what would be cancelled. Works for a link that is used
   * or expired too, as long as its sign-in could still be finished or renewed; a sign-in already
   * cancelled says so.
   */
  const openCancel = async (rawToken: unknown, ip: string): Promise<LinkLookup> => {
    const limited = await limits.consume('RATE_LIMIT_VERIFY_PER_IP', ip);
    if (!limited.allow) return refuse(limited, { step: 'cancel' });
    const token = await lookup(rawToken);
    if (!token) return refuse({ allow: false, reason: 'token_unknown' }, { step: 'cancel' });
    const fields = { step: 'cancel', tokenId: tokenId(token) };
    const state = await deps.signInStates.stateOf(token.interactionUid);
    if (state === 'cancelled') return refuse({ allow: false, reason: 'sign_in_cancelled' }, fields);
    if (state === 'gone') {
      // Nothing left to end: say what happened to the link (most likely it signed someone in).
      const link = decideLinkOpen(token, clock.now());
      return refuse(link.allow ? { allow: false, reason: 'interaction_expired' } : link, fields);
    }
    return { allow: true, token };
  };

  return {
    /** The confirm POST reached without this browser's interaction: a look-up, limited per IP. */
    async check(input: ConfirmInput): Promise<LinkLookup> {
      const limited = await limits.consume('RATE_LIMIT_VERIFY_PER_IP', input.ip);
      if (!limited.allow) return refuse(limited, { step: 'confirm' });
      return check(input);
    },

    /** The email form. Answers the same for every address; the send itself happens off the request. */
    async requestLink(request: LinkRequest): Promise<Decision> {
      const bindingHash = sha256(request.bindingNonce);
      const limited = await limits.consumeAll([
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
     * per-IP send limits still apply. A cancelled sign-in is never renewed.
     */
    async renew(rawToken: unknown, ip: string, requestId: string, clientName: (clientId: string) => Promise<string>): Promise<Decision> {
      const token = await lookup(rawToken);
      if (!token) return refuse({ allow: false, reason: 'token_unknown' }, { step: 'renew' });
      const state = await deps.signInStates.stateOf(token.interactionUid);
      if (state === 'cancelled') return refuse({ allow: false, reason: 'sign_in_cancelled' }, { step: 'renew', tokenId: tokenId(token) });
      if (token.usedAt === null && token.expiresAt > clock.now()) {
        return refuse({ allow: false, reason: 'invalid_request' }, { step: 'renew', tokenId: tokenId(token) });
      }
      if (state !== 'pending') return refuse({ allow: false, reason: 'interaction_expired' }, { step: 'renew', tokenId: tokenId(token) });
      const limited = await limits.consumeAll(sendLimits(token.email, ip));
      if (!limited.allow) return refuse(limited, { step: 'renew', limit: limited.limit, tokenId: tokenId(token) });
      const delivery: Delivery = { ...token, clientName: await clientName(token.clientId), ip, userAgent: token.userAgent, requestId };
      deps.offRequest.run('renew sign-in link', () => deliver(delivery));
      return { allow: true };
    },

    openCancel,

    /**
     * "This wasn't me" (POST): spends every pending token of the sign-in and ends its interaction
     * for good. Needs no binding cookie: the person who got the email may open it anywhere.
     */
    async cancel(rawToken: unknown, ip: string): Promise<LinkLookup> {
      const opened = await openCancel(rawToken, ip);
      if (!opened.allow) return opened;
      const { token } = opened;
      const now = clock.now();
      for (const pending of await store.loginTokens.listPending(token.interactionUid, now)) {
        await store.loginTokens.consume(pending.hash, now);
      }
      await deps.signInStates.cancel(token.interactionUid);
      audit('login.cancelled', { tokenId: tokenId(token), clientId: token.clientId, interactionUid: token.interactionUid, ip });
      return { allow: true, token };
    },

    /** For the confirm page (GET and HEAD): never changes anything but the per-IP counter. */
    async open(rawToken: unknown, ip: string): Promise<LinkLookup> {
      const limited = await limits.consume('RATE_LIMIT_VERIFY_PER_IP', ip);
      if (!limited.allow) return refuse(limited, { step: 'open' });
      const token = await lookup(rawToken);
      const decision = decideLinkOpen(token, clock.now());
      if (!decision.allow) return refuse(await explainSpent(decision, token), { step: 'open', tokenId: tokenId(token) });
      if (!token) return refuse({ allow: false, reason: 'token_unknown' }, { step: 'open' });
      return { allow: true, token };
    },

    /** The confirm POST: limits and policy first (nothing consumed on refusal), then one atomic consume. */
    async confirm(input: ConfirmInput): Promise<LinkLookup> {
      const token = await lookup(input.rawToken);
      const limited = await limits.consumeAll([
        ['RATE_LIMIT_VERIFY_PER_IP', input.ip],
        ...(token ? ([['RATE_LIMIT_VERIFY_PER_TOKEN', token.hash]] as LimitCheck[]) : []),
      ]);
      if (!limited.allow) return refuse(limited, { step: 'confirm', limit: limited.limit, tokenId: tokenId(token) });
      const checked = await check(input, { token });
      if (!checked.allow) return checked;
      const outcome = await store.loginTokens.consume(checked.token.hash, clock.now());
      if (!outcome.consumed) return refuse({ allow: false, reason: outcome.reason }, { step: 'consume', tokenId: tokenId(checked.token) });
      audit('login.confirmed', { tokenId: tokenId(outcome.token), clientId: outcome.token.clientId, interactionUid: input.interactionUid, via: 'link' });
      return { allow: true, token: outcome.token };
    },

    /**
     * The code typed in the window where the sign-in started. Every address whose code a guess is
     * compared with is checked against its failure lock first and charged on a miss: asking for a
     * second address in the same sign-in must not unlock the first. An attempt is reserved on
     * every compared token before any comparison, so no token is ever compared more than
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
      const addresses = [...new Set(pending.map((token) => token.email))];
      const locked = new Set<string>();
      for (const email of addresses) if (await codeLocked(email)) locked.add(email);
      const comparable = pending.filter((token) => !locked.has(token.email));
      if (comparable.length === 0) return refuse({ allow: false, reason: 'code_locked' }, step);

      const reserved: LoginTokenRecord[] = [];
      for (const token of comparable) {
        if (await store.loginTokens.reserveCodeAttempt(token.hash, deps.codeMaxAttempts, now)) reserved.push(token);
      }
      if (reserved.length === 0) return refuse({ allow: false, reason: 'code_locked' }, step);
      const match = reserved.find((token) => equalDigests(codeHmac(deps.serverSecret, token.hash, code), token.codeHmac));
      if (!match) {
        for (const email of new Set(reserved.map((token) => token.email))) {
          await limits.consume('RATE_LIMIT_CODE_FAILURES_PER_EMAIL', emailKey(email));
        }
        return refuse({ allow: false, reason: 'code_invalid' }, { ...step, tokenId: tokenId(reserved[0]) });
      }
      const outcome = await store.loginTokens.consume(match.hash, clock.now());
      if (!outcome.consumed) return refuse({ allow: false, reason: outcome.reason }, { ...step, tokenId: tokenId(match) });
      audit('login.confirmed', { tokenId: tokenId(match), clientId: match.clientId, interactionUid: input.interactionUid, via: 'code' });
      return { allow: true, token: outcome.token };
    },
  };
}
