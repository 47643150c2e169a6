// The request an audit event happened in (its id, IP and user agent), carried by
// AsyncLocalStorage so call sites need not pass them. Set by the request-log middleware; work a
// request starts after its response (setImmediate, timers, promise chains) keeps its context,
// because AsyncLocalStorage follows the async resources created inside run().
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  readonly requestId: string;
  readonly ip: string;
  readonly userAgent: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const runInRequestContext = <T>(context: RequestContext, work: () => T): T => storage.run(context, work);

/** The request the current code runs for, if any. */
export const currentRequest = (): RequestContext | undefined => storage.getStore();
