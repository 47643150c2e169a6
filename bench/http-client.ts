// A lean browser for load: keeps cookies with their paths (oidc-provider scopes its interaction
// cookie to /interaction/:uid), sends Origin and Sec-Fetch-Site on form posts as a browser does, and
// reuses keep-alive connections. node:http rather than fetch, so the load generator spends less of
// its core per request than the servers it measures.
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

export interface Reply {
  readonly status: number;
  readonly location: string | undefined;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

interface Cookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
}

const pathMatches = (cookiePath: string, requestPath: string) =>
  requestPath === cookiePath || (requestPath.startsWith(cookiePath) && (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'));

export interface RequestOptions {
  readonly form?: Record<string, string>;
  readonly headers?: Record<string, string>;
  /** A server-side API call (token endpoints): no Origin or Sec-Fetch-Site, JSON accepted. */
  readonly api?: boolean;
}

export class Browser {
  private cookies = new Map<string, Cookie>();

  private remember(setCookie: readonly string[], requestPath: string): void {
    for (const line of setCookie) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let cookiePath = requestPath.slice(0, Math.max(1, requestPath.lastIndexOf('/')));
      let expired = value === '';
      for (const attribute of attributes) {
        const [key = '', attrValue = ''] = attribute.split('=');
        const lower = key.toLowerCase();
        if (lower === 'path') cookiePath = attrValue;
        if (lower === 'expires' && Date.parse(attrValue) <= Date.now()) expired = true;
        if (lower === 'max-age' && Number(attrValue) <= 0) expired = true;
      }
      const key = `${name}\0${cookiePath}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path: cookiePath });
    }
  }

  private cookieHeader(requestPath: string): string {
    return [...this.cookies.values()]
      .filter((cookie) => pathMatches(cookie.path, requestPath))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  request(url: string, options: RequestOptions = {}): Promise<Reply> {
    const target = new URL(url);
    const headers: Record<string, string> = { 'user-agent': 'linkid-bench', accept: 'text/html', ...options.headers };
    const cookie = this.cookieHeader(target.pathname);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
      if (options.api) headers.accept = 'application/json';
      else {
        headers.origin ??= target.origin;
        headers['sec-fetch-site'] ??= 'same-origin';
      }
    }
    return this.send(target, body === undefined ? 'GET' : 'POST', headers, body, true);
  }

  private send(target: URL, method: string, headers: Record<string, string>, body: string | undefined, mayRetry: boolean): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request(target, { method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          this.remember(res.headers['set-cookie'] ?? [], target.pathname);
          const location = res.headers.location;
          resolve({
            status: res.statusCode ?? 0,
            location: location === undefined ? undefined : new URL(location, target).href,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          });
        });
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive connection the server closed just as the request went out: nothing reached
        // the server, and a browser sends the request again on a new connection. So do we, once.
        if (mayRetry && req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
          this.send(target, method, headers, body, false).then(resolve, reject);
        } else reject(error);
      });
      req.end(body);
    });
  }

  /** GETs `url` and follows redirects until a page answers or the next URL starts with `stopAt`. */
  async follow(url: string, stopAt?: string): Promise<Reply & { url: string }> {
    let current = url;
    for (let hops = 0; hops < 20; hops += 1) {
      const reply = await this.request(current);
      if (!reply.location || (stopAt && reply.location.startsWith(stopAt))) return { ...reply, url: current };
      current = reply.location;
    }
    throw new Error(`more than 20 redirects from ${url}`);
  }
}

const decode = (value: string) =>
  value
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');

/** The first form on a page whose action matches: its absolute action and its hidden fields. */
export function formOn(page: { body: string; url: string; status: number }, actionPattern: RegExp): { action: string; hidden: Record<string, string> } {
  for (const match of page.body.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const action = decode(match[1] ?? '');
    if (!actionPattern.test(action)) continue;
    const hidden: Record<string, string> = {};
    for (const input of (match[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) hidden[input[1] ?? ''] = decode(input[2] ?? '');
    return { action: new URL(action, page.url).href, hidden };
  }
  throw new Error(`no form matching ${actionPattern} on ${page.url} (status ${page.status}):\n${page.body.slice(0, 1500)}`);
}

/** A form POST with HTTP basic client authentication, as a confidential client calls the token endpoints. */
export function postForm(url: string, form: Record<string, string>, basic: { id: string; secret: string }): Promise<Reply> {
  const auth = Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64');
  return new Browser().request(url, { form, headers: { authorization: `Basic ${auth}` }, api: true });
}
