// The sign-in, assembled from its steps (src/login/steps/, one file each with its rules at the
// top). Routes call these and only translate HTTP to a step and back.
import { createCancelSignIn } from './steps/cancel-sign-in.js';
import { createCompleteSignIn } from './steps/complete-sign-in.js';
import { createConfirmLink } from './steps/confirm-link.js';
import { createDeliverLink } from './steps/deliver-link.js';
import { createDeliveryStatus } from './steps/delivery-status.js';
import { createOpenLink } from './steps/open-link.js';
import { createRenewLink } from './steps/renew-link.js';
import { createRequestLink } from './steps/request-link.js';
import { createStepKit, type SignInDeps } from './steps/step-kit.js';
import { createVerifyCode } from './steps/verify-code.js';

export type { SignInDeps } from './steps/step-kit.js';

export function createSignIn(deps: SignInDeps) {
  const kit = createStepKit(deps);
  const deliverLink = createDeliverLink(deps);
  return {
    requestLink: createRequestLink(deps, deliverLink),
    deliveryStatus: createDeliveryStatus(deps),
    openLink: createOpenLink(deps, kit),
    ...createConfirmLink(deps, kit),
    verifyCode: createVerifyCode(deps, kit),
    renewLink: createRenewLink(deps, kit, deliverLink),
    ...createCancelSignIn(deps, kit),
    completeSignIn: createCompleteSignIn(deps),
  };
}

export type SignIn = ReturnType<typeof createSignIn>;
