// What the page of a refused emailed link offers, as its one main action, wherever the link was
// refused: opened, confirmed, renewed, or pressed on in another browser. Rules:
// - a used or expired link whose sign-in still waits for a login offers a new link for it;
// - one whose sign-in has finished or ended says so and offers "Back to {app}" (errors.ts), never a
//   renewal, which could only fail;
// - a limit offers the same step again, to be taken after the wait the page states;
// - a link pressed on out of turn (a stale approval, another sign-in's page) offers the link again.
// A cancelled sign-in and the rest take their reason's usual action (errors.ts).
import type { Refusal } from '../kernel/decisions.js';
import { FLOW_ROUTES } from '../login/flow-paths.js';
import type { ReasonAction, ReasonLink, ReasonOptions } from './errors.js';

/** The link's own page again (GET changes nothing): what it can do from here, said afresh. */
const openAgain = (rawToken: string, label: string): ReasonLink => ({ url: `${FLOW_ROUTES.openLink}?token=${encodeURIComponent(rawToken)}`, label });

const renew = (rawToken: string): ReasonAction => ({ url: FLOW_ROUTES.renewLink, label: 'error.renewLink', fields: { token: rawToken } });

/**
 * `step`: where the refusal happened. A limit offers that step again: the renew button, the
 * "This wasn't me" page, or the link's page; "This wasn't me" never offers a renewal.
 */
export function linkRefusalOptions(refusal: Refusal, rawToken: string, step: 'link' | 'renew' | 'cancel' = 'link'): ReasonOptions {
  const { reason, retryAfterSeconds } = refusal;
  // A value that names no token has nothing to offer but the words (copy the whole link).
  if (rawToken === '' || reason === 'token_unknown') return { retryAfterSeconds };
  switch (reason) {
    case 'token_used':
    case 'token_expired':
      // The reason's own words send the person back to the app ("Back to {app}", errors.ts); a
      // sign-in that is over says so outright, and one that still waits gets the renewal and its
      // words ("This wasn't me" only meets a link whose sign-in is gone).
      if (step === 'cancel') return { next: 'error.signInOver' };
      return refusal.signInOver ? { next: 'error.signInOver' } : { action: renew(rawToken), next: 'error.renewNext' };
    case 'rate_limited':
      if (step === 'renew') return { retryAfterSeconds, action: renew(rawToken) };
      if (step === 'cancel')
        return { retryAfterSeconds, link: { url: `${FLOW_ROUTES.cancel}?token=${encodeURIComponent(rawToken)}`, label: 'error.tryAgain' } };
      return { retryAfterSeconds, link: openAgain(rawToken, 'error.tryAgain') };
    case 'interaction_mismatch':
    case 'approval_invalid':
      return { link: openAgain(rawToken, 'error.openLinkAgain') };
    default:
      return { retryAfterSeconds };
  }
}
