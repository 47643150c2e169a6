// The durable send queue: a request only enqueues (sealed content, in the store); senders send.
// Messages are claimed with a lease in an atomic store operation while they are sent, so two
// senders (in this process, another worker or another instance) never send the same one; a
// process that dies leaves its lease to run out and another takes over. Up to `concurrency`
// requests to the provider are in flight per process: a provider that takes 150 ms per request
// would otherwise cap an instance at about 6 sign-ins per second. When several messages are ready
// a sender claims up to `batchSize` at once and, if the transport has a batch API, sends them in
// one request, so a backlog costs requests rather than messages; each message still gets its own
// outcome, audit event and retry. A sender whose claim came back full starts another (up to the
// bound), so a backlog fans out quickly; one whose claim came back short stops, so a message costs
// one claim, and an idle queue one look per wake-up.
// Retries back off exponentially with jitter and stop at the message's give-up time (a sign-in
// mail is useless once its link has expired), with the failure recorded for the status page.
// Stopping (SIGTERM) sends what is due within a grace period, then hands the claims still held
// back to the queue (due now, lease released), so the next process sends them at once rather
// than after the lease runs out; a message whose provider answer had not come back by then may
// have reached the provider, and is sent again (at least once, never lost).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../kernel/clock.js';
import type { Audit } from '../kernel/audit.js';
import type { Logger, MailMessage, MailQueue } from '../kernel/ports.js';
import type { MailOutcome, QueuedMail, Store } from '../store/port.js';
import { MailDeliveryError, type MailTransport } from './mail-transport.js';
import type { MessageSeal } from './sealed-message.js';

export interface SendQueueOptions {
  readonly store: Store;
  readonly transport: MailTransport;
  readonly seal: MessageSeal;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly audit: Audit;
  /** How long a worker holds a message while sending it. */
  readonly leaseMs?: number;
  /** First retry delay; doubles each attempt up to maxDelayMs. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** How often the worker looks for due messages when nothing woke it. */
  readonly pollMs?: number;
  /** How many provider requests this process has in flight at once (MAIL_CONCURRENCY). */
  readonly concurrency?: number;
  /** The most messages one claim takes and one batch request sends (MAIL_BATCH_SIZE). */
  readonly batchSize?: number;
}

type BatchDelivery = NonNullable<MailTransport['deliverBatch']>;
/** A claimed message that will go to the provider, opened. */
interface Ready {
  readonly mail: QueuedMail;
  readonly message: MailMessage;
}

export interface SendQueue extends MailQueue {
  /** Sends every message that is due now (up to `concurrency` at once); resolves when none is left. */
  drain(): Promise<void>;
  start(): void;
  /**
   * Stops the timer; resolves when no sender is left (drain() first sends what is due), or after
   * `handBackAfterMs`: then no more is claimed, and every message still held goes back to the
   * queue, due now, for the next process.
   */
  stop(options?: { readonly handBackAfterMs?: number }): Promise<void>;
}

/** Exponential backoff with equal jitter: between half and all of base * 2^(attempt-1). */
export function retryDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function createSendQueue(options: SendQueueOptions): SendQueue {
  const { store, transport, seal, clock, logger, audit } = options;
  const owner = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const leaseMs = options.leaseMs ?? 60_000;
  const baseDelayMs = options.baseDelayMs ?? 2_000;
  const maxDelayMs = options.maxDelayMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  /** Set when stop() handed the claims back: nothing more is claimed or recorded. */
  let handedBack = false;
  /** Messages this process holds a lease on now, by id. */
  const held = new Map<string, QueuedMail>();

  const outcomeFor = async (mail: QueuedMail, error: unknown): Promise<MailOutcome> => {
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof MailDeliveryError && error.kind === 'inactive_recipient') {
      await store.suppressions.suppress(mail.to, 'InactiveRecipient', clock.now());
      return { status: 'suppressed', error: reason };
    }
    if (error instanceof MailDeliveryError && error.kind === 'permanent') return { status: 'failed', error: reason };
    const nextAttemptAt = clock.now() + retryDelay(mail.attempts, baseDelayMs, maxDelayMs);
    if (nextAttemptAt >= mail.giveUpAt) return { status: 'failed', error: `gave up after ${mail.attempts} attempts: ${reason}` };
    return { status: 'retry', nextAttemptAt, error: reason };
  };

  /** What is decided without the provider: an expired, unreadable or suppressed message is not sent. */
  const prepare = async (mail: QueuedMail): Promise<{ outcome: MailOutcome } | { message: MailMessage }> => {
    if (clock.now() >= mail.giveUpAt || !mail.sealed) return { outcome: { status: 'failed', error: 'expired before it could be sent' } };
    const suppressed = await store.suppressions.reasonFor(mail.to);
    if (suppressed) return { outcome: { status: 'suppressed', error: `address suppressed (${suppressed})` } };
    try {
      return { message: { ...seal.open(mail.sealed), to: mail.to, tag: mail.tag, requestId: mail.requestId } };
    } catch (error) {
      return { outcome: await outcomeFor(mail, error) };
    }
  };

  const deliverOne = async (mail: QueuedMail, message: MailMessage): Promise<MailOutcome> => {
    try {
      const { providerMessageId } = await transport.deliver(message);
      return { status: 'sent', providerMessageId };
    } catch (error) {
      return outcomeFor(mail, error);
    }
  };

  /** One batch request for every ready message; each gets its own outcome from its own result. */
  const deliverAll = async (ready: readonly Ready[], deliverBatch: BatchDelivery): Promise<[QueuedMail, MailOutcome][]> => {
    const results = await deliverBatch(ready.map(({ message }) => message));
    return Promise.all(
      ready.map(async ({ mail }, index): Promise<[QueuedMail, MailOutcome]> => {
        const result = results[index] ?? new MailDeliveryError('no result for this message in the batch answer', 'retry');
        return [mail, result instanceof MailDeliveryError ? await outcomeFor(mail, result) : { status: 'sent', providerMessageId: result.providerMessageId }];
      }),
    );
  };

  const record = async (mail: QueuedMail, outcome: MailOutcome): Promise<void> => {
    await store.mailQueue.complete(mail.id, owner, outcome, clock.now());
    const fields = { mailId: mail.id, tag: mail.tag, attempt: mail.attempts, requestId: mail.requestId, interactionUid: mail.interactionUid };
    // queuedMs is what the person waited for the provider to take the email (a cost fact).
    if (outcome.status === 'sent')
      audit('mail.sent', {
        ...fields,
        email: mail.to,
        transport: transport.kind,
        providerMessageId: outcome.providerMessageId,
        queuedMs: clock.now() - mail.createdAt,
      });
    else if (outcome.status === 'retry')
      logger.warn({ ...fields, error: outcome.error, nextAttemptAt: new Date(outcome.nextAttemptAt).toISOString() }, 'mail send will be retried');
    else audit(outcome.status === 'suppressed' ? 'mail.suppressed' : 'mail.failed', { ...fields, email: mail.to, error: outcome.error });
  };

  const deliverBatch = transport.deliverBatch?.bind(transport);
  // Without a batch API each claim is one message, so the senders share a backlog between them.
  const claimSize = deliverBatch ? Math.max(1, Math.trunc(options.batchSize ?? 50)) : 1;

  /**
   * Claims up to claimSize due messages and handles them with at most one provider request: a
   * batch when several are ready. Resolves with how many it claimed (0: nothing was due).
   */
  const sendClaimed = async (): Promise<number> => {
    if (handedBack) return 0;
    const claimed = await store.mailQueue.claimBatch(owner, clock.now(), leaseMs, claimSize);
    if (claimed.length === 0) return 0;
    for (const mail of claimed) held.set(mail.id, mail);
    // A full claim may have left more due: another sender takes it while this one waits for the provider.
    if (claimed.length === claimSize) startSender();
    const ready: Ready[] = [];
    const outcomes: [QueuedMail, MailOutcome][] = [];
    for (const item of await Promise.all(claimed.map(async (mail) => ({ mail, ...(await prepare(mail)) })))) {
      if ('outcome' in item) outcomes.push([item.mail, item.outcome]);
      else ready.push(item);
    }
    if (deliverBatch && ready.length > 1) outcomes.push(...(await deliverAll(ready, deliverBatch)));
    else for (const { mail, message } of ready) outcomes.push([mail, await deliverOne(mail, message)]);
    // Handed back meanwhile: the queue has them again, whatever the provider answered.
    if (handedBack) return 0;
    await Promise.all(outcomes.map(([mail, outcome]) => record(mail, outcome)));
    for (const mail of claimed) held.delete(mail.id);
    return claimed.length;
  };

  const concurrency = Math.max(1, Math.trunc(options.concurrency ?? 16));
  let active = 0;
  /** Set when a message was enqueued while every sender was busy: one of them claims again. */
  let missedKick = false;
  const whenIdle: (() => void)[] = [];

  /**
   * One sender: claims and sends until a claim comes back short (nothing more was due then; what
   * is enqueued later starts a sender, or sets missedKick when none can start), so a quiet queue
   * costs one claim per message rather than an empty claim after each.
   */
  const sender = async (): Promise<void> => {
    active += 1;
    try {
      for (;;) {
        missedKick = false;
        if ((await sendClaimed()) < claimSize && !missedKick) break;
      }
    } catch (error) {
      logger.error({ err: error }, 'mail queue run failed');
    } finally {
      active -= 1;
      if (active === 0) for (const resolve of whenIdle.splice(0)) resolve();
    }
  };
  const startSender = () => {
    if (active < concurrency) void sender();
    else missedKick = true;
  };

  const drain = async (): Promise<void> => {
    startSender();
    if (active > 0) await new Promise<void>((resolve) => whenIdle.push(resolve));
  };

  /** Releases every lease this process holds, each message due now; its attempt stays counted. */
  const handBack = async (): Promise<void> => {
    handedBack = true;
    const now = clock.now();
    const mails = [...held.values()];
    held.clear();
    const released = await Promise.all(
      mails.map((mail) => store.mailQueue.complete(mail.id, owner, { status: 'retry', nextAttemptAt: now, error: 'handed back at shutdown' }, now)),
    );
    logger.info({ handedBack: released.filter(Boolean).length }, 'mail claims handed back to the queue');
  };

  // Only a started worker sends on its own; drain() sends when asked.
  const kick = () => {
    if (started) startSender();
  };

  return {
    async enqueue(message, context) {
      const now = clock.now();
      const id = context.id ?? randomUUID();
      const stored = await store.mailQueue.enqueue({
        id,
        to: message.to,
        tag: message.tag ?? 'sign-in',
        interactionUid: context.interactionUid ?? null,
        bindingHash: context.bindingHash ?? null,
        requestId: context.requestId ?? null,
        sealed: seal.seal({ subject: message.subject, text: message.text, html: message.html }),
        status: 'queued',
        attempts: 0,
        nextAttemptAt: now,
        leaseUntil: null,
        giveUpAt: context.giveUpAt,
        lastError: null,
        providerMessageId: null,
        createdAt: now,
        updatedAt: now,
      });
      if (!stored) return null;
      audit('mail.queued', {
        mailId: id,
        tag: message.tag ?? 'sign-in',
        requestId: context.requestId ?? null,
        interactionUid: context.interactionUid ?? null,
        email: message.to,
      });
      kick();
      return id;
    },
    drain,
    start() {
      started = true;
      timer = setInterval(kick, options.pollMs ?? 1_000);
      timer.unref();
      kick();
    },
    async stop({ handBackAfterMs } = {}) {
      started = false;
      if (timer) clearInterval(timer);
      if (active === 0) return;
      const idle = new Promise<boolean>((resolve) => whenIdle.push(() => resolve(true)));
      if (handBackAfterMs === undefined) {
        await idle;
        return;
      }
      let graceTimer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<boolean>((resolve) => (graceTimer = setTimeout(() => resolve(false), handBackAfterMs)));
      const finished = await Promise.race([idle, graceOver]);
      clearTimeout(graceTimer);
      if (finished) return;
      await handBack();
    },
  };
}
