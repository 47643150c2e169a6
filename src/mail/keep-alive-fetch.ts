// The `fetch` the postmark client is given (its documented `fetch` option): node:http(s) over a
// keep-alive agent. The global fetch (undici) cost about 690 µs of CPU per send against a local
// stand-in, this about 360 µs; both keep connections open, but undici's WHATWG streams, headers and
// Response objects are the difference. Only what the client reads is implemented: the status and
// the body as text. The client's timeout arrives as `signal` and aborts the request.
//
// A server may close an idle kept-alive connection just as a request is written on it; Node then
// fails that request with ECONNRESET before any of it was read. It is sent once more on a fresh
// connection (what Node's documentation advises for a reused socket); any other failure goes back
// to the queue, which retries with backoff.
import http from 'node:http';
import https from 'node:https';

export interface FetchAnswer {
  readonly status: number;
  text(): Promise<string>;
}

export interface KeepAliveFetchOptions {
  /** The most connections open to the provider at once (MAIL_CONCURRENCY). */
  readonly maxSockets: number;
}

export type KeepAliveFetch = (input: string | URL | Request, init?: RequestInit) => Promise<FetchAnswer>;

export function createKeepAliveFetch({ maxSockets }: KeepAliveFetchOptions): KeepAliveFetch {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets }),
    'https:': new https.Agent({ keepAlive: true, maxSockets }),
  };
  const once = (url: URL, init: RequestInit, fresh: boolean): Promise<FetchAnswer> =>
    new Promise((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const request = (secure ? https : http).request(
        url,
        {
          method: init.method ?? 'GET',
          headers: init.headers as http.OutgoingHttpHeaders | undefined,
          // A retry after a reset takes a new connection rather than another idle one.
          agent: fresh ? false : agents[secure ? 'https:' : 'http:'],
          signal: init.signal ?? undefined,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            resolve({ status: response.statusCode ?? 0, text: () => Promise.resolve(body) });
          });
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (!fresh && request.reusedSocket && error.code === 'ECONNRESET') once(url, init, true).then(resolve, reject);
        else reject(error);
      });
      request.end(typeof init.body === 'string' ? init.body : undefined);
    });
  return (input, init = {}) => once(new URL(input instanceof Request ? input.url : String(input)), init, false);
}
