// Every serving process (alone, or each worker) looks at the signing keys on a timer as well as on
// every request: an idle process still picks up a rotation made elsewhere, or a key's moment to
// start signing, before it signs a back-channel logout. The same tick runs the rotation schedule
// (SIGNING_KEY_ROTATION_DAYS); all processes may run it, and the key ring lets exactly one of
// them rotate (src/oidc/signing-keys.ts).
import type { Logger } from '../kernel/ports.js';
import type { SigningKeys } from '../oidc/signing-keys.js';

const TICK_MS = 30_000;

export function startSigningKeyTimer(keys: Pick<SigningKeys, 'refresh' | 'runSchedule'>, logger: Logger, tickMs = TICK_MS): () => void {
  const tick = () => {
    keys.refresh();
    keys.runSchedule().then(
      (rotated) => {
        if (rotated.length > 0) logger.info({ keys: true, algs: rotated }, 'signing keys rotated on schedule');
      },
      (error: unknown) => logger.error({ err: error, keys: true }, 'scheduled signing key rotation failed'),
    );
  };
  tick();
  const timer = setInterval(tick, tickMs);
  timer.unref();
  return () => clearInterval(timer);
}
