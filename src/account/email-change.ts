// Changing an account's address, with an undo for the old one: the steps (request, deliver,
// confirm, undo; one file each in ./email-change/) put together behind one service, with no HTTP
// in it. src/http/routes/email-change.ts is its face.
import { createChangeKit, type EmailChangeDeps } from './email-change/change-kit.js';
import { createConfirmChange } from './email-change/confirm-change.js';
import { createDeliverChange } from './email-change/deliver-change.js';
import { createRequestChange } from './email-change/request-change.js';
import { createUndoChange } from './email-change/undo-change.js';

export function createEmailChange(deps: EmailChangeDeps) {
  const kit = createChangeKit(deps);
  return {
    requestChange: createRequestChange(deps, kit, createDeliverChange(deps, kit)),
    ...createConfirmChange(deps, kit),
    ...createUndoChange(deps, kit),
  };
}

export type EmailChange = ReturnType<typeof createEmailChange>;
