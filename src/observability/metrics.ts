// Prometheus metrics, one registry per app (tests run many apps in one process, and a cluster's
// instances each expose their own). Counters are an audit sink: they count the very events the
// audit trail records, so the graphs and the trail cannot tell different stories. Gauges are read
// from the store when scraped. Every label value comes from a fixed set (a reason code, a limit
// name, a route template): nothing an address, a token or a raw path could ever reach.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../kernel/clock.js';
import { REASONS } from '../kernel/reasons.js';
import { SIGN_IN_METHODS, type SignInMethod } from '../kernel/sign-in-method.js';
import { STORE_FAILURE_KINDS, type StoreFailureKind } from '../kernel/store-failure.js';
import type { LoginTokenStore, MailQueueStore } from '../store/port.js';
import type { AuditEvent, AuditFields, AuditSink } from '../kernel/audit.js';
import type { Logger } from '../kernel/ports.js';
import type { Versions } from './versions.js';

const EMAIL_OUTCOMES = ['queued', 'sent', 'delivered', 'bounced', 'failed', 'suppressed'] as const;
const METHODS = Object.keys(SIGN_IN_METHODS) as SignInMethod[];
const BACKCHANNEL_OUTCOMES = ['delivered', 'retrying', 'failed'] as const;
const BINDINGS = ['present', 'missing'] as const;
/** linkid_cross_device_total: each event that counts, as its kind and outcome. */
const CROSS_DEVICE_EVENTS: Readonly<Partial<Record<AuditEvent, { kind: string; outcome: string }>>> = {
  'sign_in.approval_requested': { kind: 'approval', outcome: 'requested' },
  'sign_in.approved': { kind: 'approval', outcome: 'approved' },
  'sign_in.approval_refused': { kind: 'approval', outcome: 'refused' },
  'sign_in.qr_issued': { kind: 'qr', outcome: 'issued' },
  'device.authorized': { kind: 'device', outcome: 'authorized' },
  'device.denied': { kind: 'device', outcome: 'denied' },
};
const LIMIT_PATTERN = /^(RATE_LIMIT_[A-Z_]+|RESEND_COOLDOWN)$/;

/** The audit events that count a sign-in email, by the outcome they count. */
const EMAIL_EVENTS: Readonly<Partial<Record<AuditEvent, (typeof EMAIL_OUTCOMES)[number]>>> = {
  'mail.queued': 'queued',
  'mail.sent': 'sent',
  'mail.delivered': 'delivered',
  'mail.bounced': 'bounced',
  'mail.failed': 'failed',
  'mail.suppressed': 'suppressed',
};

const oneOf = <T extends string>(allowed: readonly T[], value: unknown): T | 'other' => (allowed.includes(value as T) ? (value as T) : 'other');

const seconds = (ms: unknown): number | undefined => (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined);

/**
 * The limit a rate_limited refusal hit. The per-IP look-up limits refuse without naming themselves
 * (src/login/steps/step-kit.ts unknownToken, and the code step): the step tells which one it was.
 */
function limitOf(fields: AuditFields): string {
  if (typeof fields.limit === 'string') return LIMIT_PATTERN.test(fields.limit) ? fields.limit : 'other';
  return fields.step === 'code' ? 'RATE_LIMIT_CODE_PER_IP' : 'RATE_LIMIT_VERIFY_PER_IP';
}

export interface MetricsDeps {
  readonly versions: Versions;
  readonly mailQueue: Pick<MailQueueStore, 'queued'>;
  readonly loginTokens: Pick<LoginTokenStore, 'countPending'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Every rate limit's name, so each has a series (at 0) before it first refuses. */
  readonly limitNames: readonly string[];
}

export interface Metrics {
  readonly registry: Registry;
  /** Counts audit events; hand it to createAudit. */
  readonly sink: AuditSink;
  observeRequest(labels: { route: string; method: string; status: number }, seconds: number): void;
  /** linkid_store_errors_total: one store operation failed, or one request was refused because the store cannot take writes. */
  countStoreError(kind: StoreFailureKind): void;
  /** linkid_audit_events_dropped_total: audit events given up on (src/observability/audit-trail.ts says when). */
  countAuditDropped(count: number): void;
}

/** The counters and histograms the audit sink and the HTTP middleware feed. */
function instruments(registers: Registry[]) {
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers });
  const histogram = (name: string, help: string, buckets: number[], labelNames: string[] = []) => new Histogram({ name, help, buckets, labelNames, registers });
  return {
    requests: counter('linkid_signin_requests_total', 'Sign-in email forms accepted (rate limits passed)'),
    emails: counter('linkid_signin_emails_total', 'Sign-in emails by outcome', ['outcome']),
    completed: counter('linkid_signin_completed_total', 'Sign-ins completed, by link, code or recovery code', ['method']),
    refusals: counter('linkid_refusals_total', 'Sign-in steps refused, by reason code', ['reason']),
    opens: counter('linkid_link_opens_total', 'Sign-in links opened; binding missing: another browser or a mail scanner', ['binding']),
    rateLimited: counter('linkid_rate_limited_total', 'Requests refused by a rate limit, by limit', ['limit']),
    backchannel: counter('linkid_backchannel_logout_total', 'Back-channel logout tokens posted to apps, by outcome (retrying: failed, will be posted again)', [
      'outcome',
    ]),
    crossDevice: counter(
      'linkid_cross_device_total',
      'Sign-ins finished from another device: approvals with number matching, QR links, device codes (RFC 8628)',
      ['kind', 'outcome'],
    ),
    clickToVerify: histogram(
      'linkid_click_to_verify_seconds',
      'From the sign-in email being queued to its link confirmed or code accepted',
      [2, 5, 10, 20, 30, 60, 90, 120, 180, 300, 600],
    ),
    mailSend: histogram(
      'linkid_mail_send_seconds',
      'From a message being queued to the provider accepting it',
      [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
    ),
    mailDelivery: histogram(
      'linkid_mail_delivery_seconds',
      'From the provider accepting a message to its delivery report (webhooks)',
      [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    ),
    http: httpRequestHistogram(registers),
    storeErrors: counter(
      'linkid_store_errors_total',
      'Store operations that failed because the store could not serve (full, readonly, io, busy, unreachable), and requests refused because it cannot take writes',
      ['kind'],
    ),
    auditDropped: counter('linkid_audit_events_dropped_total', 'Audit events that could not be stored and were given up on (logged with their names)'),
  };
}

/**
 * linkid_http_request_duration_seconds. Exported for a cluster's primary, which times the scrapes
 * it serves on METRICS_PORT into the same series (same buckets) as the workers time theirs.
 */
export function httpRequestHistogram(registers: Registry[]): Histogram<'route' | 'method' | 'status'> {
  return new Histogram({
    name: 'linkid_http_request_duration_seconds',
    help: 'HTTP requests by route template, method and status',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    labelNames: ['route', 'method', 'status'],
    registers,
  });
}

export function createMetrics(deps: MetricsDeps): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const m = instruments([registry]);
  // Gauges every worker of a cluster reads alike are not summed when its primary gathers them.
  new Gauge({
    name: 'linkid_build_info',
    help: 'Always 1: what is running',
    labelNames: ['version', 'commit', 'schema'],
    registers: [registry],
    aggregator: 'first',
  }).set({ version: deps.versions.version, commit: deps.versions.commit, schema: deps.versions.schema }, 1);
  storeGauges(deps, [registry]);

  // Every series exists from the start at 0, so rate() and alerts see the first event too.
  const reasons = Object.keys(REASONS);
  for (const outcome of EMAIL_OUTCOMES) m.emails.inc({ outcome }, 0);
  for (const method of METHODS) m.completed.inc({ method }, 0);
  for (const binding of BINDINGS) m.opens.inc({ binding }, 0);
  for (const reason of reasons) m.refusals.inc({ reason }, 0);
  for (const limit of deps.limitNames) m.rateLimited.inc({ limit }, 0);
  for (const outcome of BACKCHANNEL_OUTCOMES) m.backchannel.inc({ outcome }, 0);
  for (const labels of Object.values(CROSS_DEVICE_EVENTS)) m.crossDevice.inc(labels, 0);
  for (const kind of STORE_FAILURE_KINDS) m.storeErrors.inc({ kind }, 0);

  const sink: AuditSink = (event, fields) => {
    const outcome = EMAIL_EVENTS[event];
    if (outcome) m.emails.inc({ outcome });
    const crossDevice = CROSS_DEVICE_EVENTS[event];
    if (crossDevice) m.crossDevice.inc(crossDevice);
    if (event === 'login.requested') m.requests.inc();
    else if (event === 'login.link_opened') m.opens.inc({ binding: oneOf(BINDINGS, fields.binding) });
    else if (event === 'login.completed') m.completed.inc({ method: oneOf(METHODS, fields.via) });
    else if (event === 'login.confirmed') observe(m.clickToVerify, fields.sinceQueuedMs);
    else if (event === 'mail.sent') observe(m.mailSend, fields.queuedMs);
    else if (event === 'mail.delivered') observe(m.mailDelivery, fields.sinceSentMs);
    else if (event === 'logout.backchannel') m.backchannel.inc({ outcome: oneOf(BACKCHANNEL_OUTCOMES, fields.outcome) });
    else if (event === 'login.refused') {
      m.refusals.inc({ reason: oneOf(reasons, fields.reason) });
      if (fields.reason === 'rate_limited') m.rateLimited.inc({ limit: limitOf(fields) });
    }
  };

  return {
    registry,
    sink,
    observeRequest: ({ route, method, status }, took) => m.http.observe({ route, method, status: String(status) }, took),
    countStoreError: (kind) => m.storeErrors.inc({ kind: oneOf(STORE_FAILURE_KINDS, kind) }),
    countAuditDropped: (count) => m.auditDropped.inc(count),
  };
}

function observe(histogram: Histogram, ms: unknown): void {
  const value = seconds(ms);
  if (value !== undefined) histogram.observe(value);
}

/** Gauges asked of the store at scrape time; a store that cannot answer shows as NaN, not a failed scrape. */
function storeGauges(deps: MetricsDeps, registers: Registry[]): void {
  const failed = (gauge: Gauge, error: unknown) => {
    deps.logger.warn({ err: error }, 'a store gauge could not be read');
    gauge.set(Number.NaN);
  };
  new Gauge({
    name: 'linkid_mail_queue_depth',
    help: 'Messages waiting to be sent (the whole queue, as every instance sees it)',
    registers,
    aggregator: 'first',
    async collect() {
      try {
        this.set((await deps.mailQueue.queued()).count);
      } catch (error) {
        failed(this, error);
      }
    },
  });
  new Gauge({
    name: 'linkid_mail_queue_oldest_seconds',
    help: 'Age of the oldest message waiting to be sent (0 when none)',
    registers,
    aggregator: 'first',
    async collect() {
      try {
        const { oldestCreatedAt } = await deps.mailQueue.queued();
        this.set(oldestCreatedAt === null ? 0 : Math.max(0, deps.clock.now() - oldestCreatedAt) / 1000);
      } catch (error) {
        failed(this, error);
      }
    },
  });
  new Gauge({
    name: 'linkid_login_tokens_pending',
    help: 'Sign-in links unused and unexpired (the whole store)',
    registers,
    aggregator: 'first',
    async collect() {
      try {
        this.set(await deps.loginTokens.countPending(deps.clock.now()));
      } catch (error) {
        failed(this, error);
      }
    },
  });
}
