// Reading the audit trail, for the admin CLI's `audit` group; no HTTP here. search finds events by
// the identifiers an operator holds (a request id from a page, an address, an account, a client,
// a reason); replay tells one sign-in's story in order with the time between steps; export hands
// over a time range. Addresses are made canonical as on the sign-in form, so they can be typed
// the way the person typed them.
import type { Clock } from '../kernel/clock.js';
import { normalizeEmail } from '../kernel/email-address.js';
import type { AuditQuery, AuditRecord, Store } from '../store/port.js';
import { AdminError } from './admin-error.js';

/** An event as the commands print it: the time in ISO 8601, nothing empty. */
export type AuditEventView = Record<string, unknown>;

export interface AuditFilters {
  readonly requestId?: string;
  readonly email?: string;
  readonly accountId?: string;
  readonly clientId?: string;
  readonly reason?: string;
  readonly since?: string;
  readonly until?: string;
}

const toView = (record: AuditRecord): AuditEventView => {
  const { at, fields, ...columns } = record;
  const present = Object.entries(columns).filter(([name, value]) => value !== null && name !== 'expiresAt');
  return { time: new Date(at).toISOString(), ...Object.fromEntries(present), ...(Object.keys(fields).length > 0 ? { fields } : {}) };
};

function instant(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  // Date.parse accepts far more than ISO 8601 ("1", "May 5"); an operator's typo must not widen a search.
  const parsed = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(parsed)) throw new AdminError('invalid_argument', `--${name} is not an ISO 8601 time: ${JSON.stringify(value)}`);
  return parsed;
}

function timeRange(filters: AuditFilters): Pick<AuditQuery, 'since' | 'until'> {
  const since = instant('since', filters.since);
  const until = instant('until', filters.until);
  if (since !== undefined && until !== undefined && until <= since) throw new AdminError('invalid_argument', '--until must be after --since');
  return { ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }) };
}

function canonicalEmail(typed: string): string {
  const email = normalizeEmail(typed);
  if (!email) throw new AdminError('invalid_argument', `not an address linkid would mail: ${JSON.stringify(typed)}`);
  return email;
}

/** "+0ms" for the first step, then the time since the step before. */
const elapsed = (records: readonly AuditRecord[]) =>
  records.map((record, index) => `+${index === 0 ? 0 : record.at - (records[index - 1]?.at ?? record.at)}ms`);

/** The identifiers a search looks for; at least one, or it would be an export. */
function searchQuery(filters: AuditFilters): AuditQuery {
  const query: AuditQuery = {
    ...(filters.requestId === undefined ? {} : { requestId: filters.requestId }),
    ...(filters.email === undefined ? {} : { email: canonicalEmail(filters.email) }),
    ...(filters.accountId === undefined ? {} : { accountId: filters.accountId }),
    ...(filters.clientId === undefined ? {} : { clientId: filters.clientId }),
    ...(filters.reason === undefined ? {} : { reason: filters.reason }),
  };
  if (Object.keys(query).length === 0) throw new AdminError('invalid_argument', 'audit search needs --request-id, --email, --account, --client or --reason');
  return query;
}

function readCursor(cursor: string): { at: number; skip: number } {
  try {
    const [at, skip] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    if (Number.isSafeInteger(at) && Number.isSafeInteger(skip) && (skip as number) > 0) return { at: at as number, skip: skip as number };
  } catch {
    // Refused below, as any other cursor that is not one this search gave.
  }
  throw new AdminError('invalid_argument', 'cursor is not one a search gave');
}

export function createAuditAdmin({ store, clock }: { readonly store: Store; readonly clock: Clock }) {
  const search = (query: AuditQuery) => store.audit.search(query, clock.now());

  /** Every event of these sign-ins, and of the requests they happened in, oldest first. */
  const story = async (interactionUids: readonly string[]): Promise<AuditRecord[]> => {
    const byInteraction = (await Promise.all(interactionUids.map((interactionUid) => search({ interactionUid })))).flat();
    const requestIds = new Set(byInteraction.flatMap((record) => (record.requestId ? [record.requestId] : [])));
    const byRequest = (await Promise.all([...requestIds].map((requestId) => search({ requestId })))).flat();
    const seen = new Set<string>();
    return [...byInteraction, ...byRequest]
      .filter((record) => {
        const key = JSON.stringify(record);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .sort((a, b) => a.at - b.at);
  };

  return {
    async search(filters: AuditFilters): Promise<AuditEventView[]> {
      return (await search({ ...searchQuery(filters), ...timeRange(filters) })).map(toView);
    },

    /**
     * One page of a search, oldest first, and the cursor of the next page when there is more (the
     * admin API: a page is never unbounded). The cursor is where the page ended: the time of its
     * last event and how many events of that same millisecond it already gave.
     */
    async searchPage(filters: AuditFilters, page: { readonly limit: number; readonly cursor?: string }): Promise<{ events: AuditEventView[]; next?: string }> {
      const query = searchQuery(filters);
      const range = timeRange(filters);
      const from = page.cursor === undefined ? undefined : readCursor(page.cursor);
      const since = from === undefined ? range.since : Math.max(from.at, range.since ?? from.at);
      const skip = from !== undefined && since === from.at ? from.skip : 0;
      const fetched = await search({ ...query, ...range, ...(since === undefined ? {} : { since }), limit: skip + page.limit + 1 });
      const events = fetched.slice(skip, skip + page.limit);
      const last = events.at(-1);
      if (!last || fetched.length <= skip + page.limit) return { events: events.map(toView) };
      const sameTime = fetched.slice(0, skip + events.length).filter((record) => record.at === last.at).length;
      return { events: events.map(toView), next: Buffer.from(JSON.stringify([last.at, sameTime])).toString('base64url') };
    },

    /** One sign-in's story, by its interaction or by a request that took part in it. */
    async replay(by: { readonly interactionUid?: string; readonly requestId?: string }): Promise<AuditEventView[]> {
      if ((by.interactionUid === undefined) === (by.requestId === undefined)) {
        throw new AdminError('invalid_argument', 'audit replay needs either --interaction or --request-id');
      }
      let records: AuditRecord[];
      if (by.interactionUid !== undefined) records = await story([by.interactionUid]);
      else {
        const ofRequest = await search({ requestId: by.requestId });
        const interactions = [...new Set(ofRequest.flatMap((record) => (record.interactionUid ? [record.interactionUid] : [])))];
        records = interactions.length > 0 ? await story(interactions) : ofRequest;
      }
      if (records.length === 0) {
        const what = by.interactionUid === undefined ? `request ${by.requestId}` : `interaction ${by.interactionUid}`;
        throw new AdminError('not_found', `no audit events for ${what}`);
      }
      const steps = elapsed(records);
      return records.map((record, index) => ({ after: steps[index], ...toView(record) }));
    },

    async export(filters: Pick<AuditFilters, 'since' | 'until'>): Promise<AuditEventView[]> {
      if (filters.since === undefined) throw new AdminError('invalid_argument', 'audit export needs --since');
      return (await search(timeRange(filters))).map(toView);
    },
  };
}

export type AuditAdmin = ReturnType<typeof createAuditAdmin>;
