// A device's sign-in (RFC 8628) always ends on a page that names the app and the device's user
// code and asks the signed-in person to approve or deny it, first-party app or not, existing
// grant or not: RFC 8628 section 5.4 warns of codes sent to a victim by someone else's device, and
// the person has to see which code they are letting in, after they are signed in (so the denial
// is theirs). oidc-provider asks that through its consent prompt: this adds one check to it, and
// src/http/routes/device.ts renders the prompt for a device as that approval.
import { interactionPolicy } from 'oidc-provider';

const DEVICE_ROUTES: ReadonlySet<string> = new Set(['code_verification', 'device_resume']);

export function withDeviceApproval(policy: interactionPolicy.DefaultPolicy): interactionPolicy.DefaultPolicy {
  const consent = policy.get('consent');
  if (!consent) throw new Error("oidc-provider's policy has no consent prompt to ask for a device's approval");
  consent.checks.add(
    new interactionPolicy.Check('device_approval', "the device's user code must be approved", 'consent_required', (ctx) =>
      DEVICE_ROUTES.has(ctx.oidc.route) && !ctx.oidc.result?.consent ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT,
    ),
  );
  return policy;
}
