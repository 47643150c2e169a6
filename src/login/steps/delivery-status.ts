// What happened to a sign-in's email, for the check-your-email page. Rules:
// - only the browser that asked learns it: the newest message of this sign-in for this
//   browser's binding cookie;
// - a message not yet in the queue (still being prepared after the response) reads "queued", as
//   every message does first.
import type { MailStatus } from '../../store/port.js';
import { sha256 } from '../../kernel/token-crypto.js';
import type { SignInDeps } from './step-kit.js';

export function createDeliveryStatus(deps: Pick<SignInDeps, 'store'>) {
  return async function deliveryStatus(interactionUid: string, bindingNonce: string | undefined): Promise<MailStatus> {
    if (!bindingNonce) return 'queued';
    const mail = await deps.store.mailQueue.latestFor(interactionUid, sha256(bindingNonce));
    return mail?.status ?? 'queued';
  };
}
