// The emailed link opened (GET and HEAD). Rules:
// - opening never consumes anything: mail scanners follow links; a value that names no token
//   spends the IP's look-up budget, a real link spends nothing;
// - a used or expired link says which, and a cancelled sign-in says that instead;
// - it says whether this browser started the sign-in (the binding cookie): one that did not is
//   offered approval from there, a QR link and the code (approve-elsewhere.ts), not a button that
//   could only fail.
import { decideLinkOpen } from '../policy.js';
import { equalDigests, sha256 } from '../../kernel/token-crypto.js';
import type { Refusal } from '../../kernel/decisions.js';
import type { LoginTokenRecord } from '../../store/port.js';
import type { SignInDeps, StepKit } from './step-kit.js';

/** A link that may show its page, and whether this browser is the one that asked for it. */
export type LinkOpened = { readonly allow: true; readonly token: LoginTokenRecord; readonly sameBrowser: boolean } | Refusal;

export function createOpenLink(deps: SignInDeps, kit: StepKit) {
  /** `bindingNonce`: this browser's binding cookie, if any (scanners and other browsers have none that matches). */
  return async function openLink(rawToken: string, ip: string, bindingNonce: string | undefined): Promise<LinkOpened> {
    const token = await kit.findToken(rawToken);
    if (!token) return kit.unknownToken(ip, { step: 'open' });
    const decision = decideLinkOpen(token, deps.clock.now());
    if (!decision.allow) return kit.refuse(await kit.explainSpent(decision, token), { step: 'open', ...kit.about(token) });
    const binding = bindingNonce && equalDigests(sha256(bindingNonce), token.bindingHash) ? 'present' : 'missing';
    deps.audit('login.link_opened', { ...kit.about(token), binding });
    return { allow: true, token, sameBrowser: binding === 'present' };
  };
}
