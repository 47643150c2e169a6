// The magic-link flow without HTTP: issue a link (and its code) for an interaction, look a link
// up for the confirm page, and confirm it with one atomic consume.
import type { Clock } from '../clock.js';
import type { MagicLinkEmail } from '../mail/magic-link-email.js';
import type { Mailer } from '../mail/mailer.js';
import type { Audit } from '../observability/audit.js';
import type { LoginTokenRecord, Store } from '../store/port.js';
import { decideConfirm, decideLinkOpen, type Decision } from './policy.js';
import type { Reason } from './reasons.js';
import { LINK_TOKEN_PATTERN, codeHmac, newCode, newLinkToken, sha256 } from './token-crypto.js';

export interface IssueRequest {
  readonly email: string;
  readonly interactionUid: string;
  readonly clientId: string;
  readonly clientName: string;
  readonly bindingNonce: string;
  readonly ip: string;
  readonly userAgent: string;
}

export type LinkLookup =
  | { readonly allow: true; readonly token: LoginTokenRecord }
  | { readonly allow: false; readonly reason: Reason };

export interface ConfirmInput {
  readonly rawToken: unknown;
  readonly interactionUid: string;
  readonly bindingNonce: string | undefined;
  readonly sameOrigin: boolean;
}

export interface MagicLinkServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly mailer: Mailer;
  readonly email: MagicLinkEmail;
  readonly audit: Audit;
  readonly serverSecret: Buffer;
  readonly issuer: string;
  readonly ttlSeconds: number;
}

export type MagicLinkService = ReturnType<typeof createMagicLinkService>;

const MAX_USER_AGENT_LENGTH = 512;

export function createMagicLinkService(deps: MagicLinkServiceDeps) {
  const { store, clock, audit } = deps;

  const lookup = async (rawToken: unknown) =>
    typeof rawToken === 'string' && LINK_TOKEN_PATTERN.test(rawToken)
      ? store.loginTokens.findByHash(sha256(rawToken))
      : undefined;

  const refuse = (reason: Reason, fields: Record<string, unknown>): LinkLookup => {
    audit('login.refused', { reason, ...fields });
    return { allow: false, reason };
  };

  /** The confirm POST's policy decision alone; consumes nothing. */
  const check = async (input: ConfirmInput): Promise<LinkLookup> => {
    const token = await lookup(input.rawToken);
    const decision: Decision = decideConfirm({
      token,
      now: clock.now(),
      interactionUid: input.interactionUid,
      bindingHash: input.bindingNonce ? sha256(input.bindingNonce) : undefined,
      sameOrigin: input.sameOrigin,
    });
    if (!decision.allow) return refuse(decision.reason, { step: 'confirm', tokenId: token?.hash.slice(0, 12) });
    return { allow: true, token: token! };
  };

  return {
    check,

    /** Stores a new token and mails its link and code. The raw values live only in the email. */
    async issue(request: IssueRequest): Promise<void> {
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
        bindingHash: sha256(request.bindingNonce),
        codeHmac: codeHmac(deps.serverSecret, hash, code),
        ip: request.ip,
        userAgent: request.userAgent.slice(0, MAX_USER_AGENT_LENGTH),
        createdAt: now,
        expiresAt,
        usedAt: null,
      });
      const link = `${deps.issuer}/login/link?token=${token}`;
      await deps.mailer.send(
        deps.email.render({ to: request.email, link, code, appName: request.clientName, expiresAt, ttlSeconds: deps.ttlSeconds }),
      );
      audit('login.link_sent', { tokenId: hash.slice(0, 12), clientId: request.clientId, interactionUid: request.interactionUid });
    },

    /** For the confirm page (GET and HEAD): never changes anything. */
    async open(rawToken: unknown): Promise<LinkLookup> {
      const token = await lookup(rawToken);
      const decision = decideLinkOpen(token, clock.now());
      if (!decision.allow) return refuse(decision.reason, { step: 'open', tokenId: token?.hash.slice(0, 12) });
      return { allow: true, token: token! };
    },

    /** The confirm POST: policy first (nothing consumed on refusal), then one atomic consume. */
    async confirm(input: ConfirmInput): Promise<LinkLookup> {
      const checked = await check(input);
      if (!checked.allow) return checked;
      const tokenId = checked.token.hash.slice(0, 12);
      const outcome = await store.loginTokens.consume(checked.token.hash, clock.now());
      if (!outcome.consumed) return refuse(outcome.reason, { step: 'consume', tokenId });
      audit('login.confirmed', { tokenId, clientId: outcome.token.clientId, interactionUid: input.interactionUid });
      return { allow: true, token: outcome.token };
    },
  };
}
