// The 6-digit code typed in the window where the sign-in started. Rules:
// - only in the browser that asked (binding cookie), and per-IP limited;
// - a malformed code is refused before anything is spent;
// - every address whose code a guess is compared with is checked against its failure lock first
//   and charged on a miss, once per code compared: asking for a second address, or more emails
//   for the same one, in the same sign-in buys no extra guesses;
// - an attempt is reserved on every compared token before any comparison, so no token is ever
//   compared more than codeMaxAttempts times, however many guesses arrive at once.
import type { LoginTokenRecord } from '../../store/port.js';
import { addressHash } from '../../kernel/email-address.js';
import { codeHmac, equalDigests, sha256 } from '../../kernel/token-crypto.js';
import type { SignInDeps, StepKit, TokenOutcome } from './step-kit.js';

const CODE_PATTERN = /^\d{6}$/;

export interface CodeInput {
  /** As typed; spaces are allowed between the digits. */
  readonly code: string;
  readonly interactionUid: string;
  readonly bindingNonce: string | undefined;
  readonly ip: string;
}

export function createVerifyCode(deps: SignInDeps, kit: StepKit) {
  const { limits, store } = deps;
  const isLocked = async (email: string) => !(await limits.peek('RATE_LIMIT_CODE_FAILURES_PER_EMAIL', addressHash(email))).allow;

  return async function verifyCode(input: CodeInput): Promise<TokenOutcome> {
    const step = { step: 'code', interactionUid: input.interactionUid };
    // Refusals that cost no look-up come before the per-IP budget, and spend none of it.
    if (!input.bindingNonce) return kit.refuse({ allow: false, reason: 'browser_mismatch' }, step);
    const code = input.code.replace(/\s+/g, '');
    if (!CODE_PATTERN.test(code)) return kit.refuse({ allow: false, reason: 'code_invalid' }, step);
    const limited = await limits.consume('RATE_LIMIT_CODE_PER_IP', input.ip);
    if (!limited.allow) return kit.refuse(limited, step);
    const now = deps.clock.now();
    const bindingHash = sha256(input.bindingNonce);
    const pending = (await store.loginTokens.listPending(input.interactionUid, now)).filter((token) => equalDigests(token.bindingHash, bindingHash));
    if (pending.length === 0) return kit.refuse({ allow: false, reason: 'code_expired' }, step);

    const locked = new Set<string>();
    for (const email of new Set(pending.map((token) => token.email))) if (await isLocked(email)) locked.add(email);
    const reserved: LoginTokenRecord[] = [];
    for (const token of pending.filter((candidate) => !locked.has(candidate.email))) {
      if (await store.loginTokens.reserveCodeAttempt(token.hash, deps.codeMaxAttempts, now)) reserved.push(token);
    }
    if (reserved.length === 0) return kit.refuse({ allow: false, reason: 'code_locked' }, step);

    const match = reserved.find((token) => equalDigests(codeHmac(deps.serverSecret, token.hash, code), token.codeHmac));
    const compared = match ?? reserved[0];
    deps.audit('login.code_attempt', {
      interactionUid: input.interactionUid,
      clientId: compared?.clientId,
      email: compared?.email,
      outcome: match ? 'right' : 'wrong',
      compared: reserved.length,
      attemptsLeft: compared ? deps.codeMaxAttempts - compared.codeAttempts - 1 : undefined,
    });
    if (!match) {
      for (const token of reserved) await limits.consume('RATE_LIMIT_CODE_FAILURES_PER_EMAIL', addressHash(token.email));
      return kit.refuse({ allow: false, reason: 'code_invalid' }, { ...step, ...(compared ? kit.about(compared) : {}) });
    }
    const outcome = await store.loginTokens.consume(match.hash, deps.clock.now());
    if (!outcome.consumed) return kit.refuse({ allow: false, reason: outcome.reason }, { ...step, ...kit.about(match) });
    deps.audit('login.confirmed', {
      ...kit.about(match),
      interactionUid: input.interactionUid,
      via: 'code',
      sinceQueuedMs: deps.clock.now() - match.createdAt,
    });
    return { allow: true, token: outcome.token };
  };
}
