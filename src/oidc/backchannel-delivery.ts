// Back-channel logout tokens reach the apps even when an app is briefly down. oidc-provider posts
// each logout token once, during the logout request, and reports the outcome as an event; a
// failed post is tried again here with bounded back-off (a fresh logout token each time, as
// oidc-provider makes one per post). Every outcome is audited (the audit sink counts it as
// linkid_backchannel_logout_total{outcome}) and a failure is logged with the app's id. Retries
// live in this process: a restart drops the ones still waiting (logged as they are scheduled).
import type Provider from 'oidc-provider';
import type { Audit } from '../kernel/audit.js';
import type { Logger } from '../kernel/ports.js';

/** Waits before the 2nd, 3rd, ... post of one logout token; its length bounds the attempts. */
export const DEFAULT_BACKCHANNEL_RETRY_DELAYS_MS: readonly number[] = [2_000, 10_000, 60_000, 300_000];

/** What a client model of oidc-provider offers for back-channel logout (its public API). */
export interface BackchannelClient {
  readonly clientId: string;
  readonly backchannelLogoutUri?: string | undefined;
  backchannelLogout(accountId: string, sid: string | undefined): Promise<void>;
}

export interface BackchannelDelivery {
  /** Posts a logout token to `client` now, retrying on failure; resolves after the first attempt. */
  send(client: BackchannelClient, accountId: string, sid: string | undefined): Promise<boolean>;
  /** Cancels the retries still waiting (shutdown). */
  stop(): void;
}

export interface BackchannelDeliveryDeps {
  readonly provider: Provider;
  readonly audit: Audit;
  readonly logger: Logger;
  readonly retryDelaysMs?: readonly number[];
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function createBackchannelDelivery({
  provider,
  audit,
  logger,
  retryDelaysMs = DEFAULT_BACKCHANNEL_RETRY_DELAYS_MS,
}: BackchannelDeliveryDeps): BackchannelDelivery {
  const waiting = new Set<NodeJS.Timeout>();
  const log = logger.child({ channel: 'backchannel-logout' });

  const delivered = (client: BackchannelClient, accountId: string, attempt: number) =>
    audit('logout.backchannel', { clientId: client.clientId, accountId, outcome: 'delivered', attempt });

  /** After failed attempt number `attempt`: schedule the next one, or give up. */
  const failed = (client: BackchannelClient, accountId: string, sid: string | undefined, attempt: number, error: unknown) => {
    const delay = retryDelaysMs[attempt - 1];
    const outcome = delay === undefined ? 'failed' : 'retrying';
    audit('logout.backchannel', { clientId: client.clientId, accountId, outcome, attempt, error: errorText(error) });
    log.warn({ clientId: client.clientId, attempt, outcome, err: errorText(error), retryInMs: delay }, 'back-channel logout not delivered');
    if (delay === undefined) return;
    const timer = setTimeout(() => {
      waiting.delete(timer);
      void attemptOnce(client, accountId, sid, attempt + 1);
    }, delay);
    timer.unref();
    waiting.add(timer);
  };

  const attemptOnce = async (client: BackchannelClient, accountId: string, sid: string | undefined, attempt: number): Promise<boolean> => {
    try {
      await client.backchannelLogout(accountId, sid);
      delivered(client, accountId, attempt);
      return true;
    } catch (error) {
      failed(client, accountId, sid, attempt, error);
      return false;
    }
  };

  // oidc-provider's own first post, made while it ends a session (RP-initiated logout).
  provider.on('backchannel.success', (_ctx, client, accountId) => delivered(client as unknown as BackchannelClient, String(accountId), 1));
  provider.on('backchannel.error', (_ctx, error, client, accountId, sid) =>
    failed(client as unknown as BackchannelClient, String(accountId), sid as string | undefined, 1, error),
  );

  return {
    send: (client, accountId, sid) => attemptOnce(client, accountId, sid, 1),
    stop() {
      for (const timer of waiting) clearTimeout(timer);
      waiting.clear();
    },
  };
}
