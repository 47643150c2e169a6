// The bench's browser: the tests' cookie-keeping browser (test/support/browser.ts), sending over
// node:http with kept-alive connections rather than fetch, so the load generator spends less of
// its core per request than the servers it measures.
import http from 'node:http';
import { Browser, type Page, type Transport } from '../test/support/browser.ts';

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

function send(target: URL, method: string, headers: Record<string, string>, body: string | undefined, mayRetry: boolean): ReturnType<Transport> {
  return new Promise((resolve, reject) => {
    const req = http.request(target, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const answered = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) answered.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
        resolve({ status: res.statusCode ?? 0, headers: answered, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive connection the server closed just as the request went out: nothing reached
      // the server, and a browser sends the request again on a new connection. So do we, once.
      if (mayRetry && req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
        send(target, method, headers, body, false).then(resolve, reject);
      } else reject(error);
    });
    req.end(body);
  });
}

export const keptAlive: Transport = (url, request) => {
  const headers = Object.fromEntries(request.headers);
  if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
  return send(new URL(url), request.method, headers, request.body, true);
};

/** A new browser (no cookies) on the bench's kept-alive connections. */
export const newBrowser = (): Browser => new Browser('linkid-bench', keptAlive);

/** A form POST with HTTP basic client authentication, as a confidential client calls the token endpoints. */
export function postForm(url: string, form: Record<string, string>, basic: { id: string; secret: string }): Promise<Page> {
  const auth = Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64');
  return newBrowser().request(url, { form, headers: { authorization: `Basic ${auth}` }, api: true });
}
