// A cookie-keeping HTTP client that behaves like a browser for server-rendered pages, the one the
// tests and the bench both drive linkid with: it keeps cookies with their paths (tough-cookie;
// oidc-provider scopes its interaction cookie to /interaction/:uid), follows redirects by hand,
// and sends Origin and Sec-Fetch-Site on form posts the way a browser does for a same-origin
// form. How a request travels is a Transport: fetch unless told otherwise (the bench brings
// node:http over kept-alive connections, bench/http-client.ts). The bench runs this file with
// node's type stripping, so it imports no other file of the project.
import { CookieJar } from 'tough-cookie';

export interface Page {
  readonly status: number;
  readonly url: string;
  readonly location: string | undefined;
  readonly body: string;
  readonly headers: Headers;
}

export interface BrowserRequest {
  readonly method?: string;
  readonly form?: Record<string, string>;
  readonly headers?: Record<string, string>;
  /** A server-side API call (token endpoints): no Origin or Sec-Fetch-Site, JSON accepted. */
  readonly api?: boolean;
}

/** Sends one request as given (no redirects followed) and answers with the whole body. */
export type Transport = (
  url: string,
  request: { readonly method: string; readonly headers: Headers; readonly body: string | undefined },
) => Promise<{ readonly status: number; readonly headers: Headers; readonly body: string }>;

const viaFetch: Transport = async (url, { method, headers, body }) => {
  const response = await fetch(url, { method, headers, body, redirect: 'manual' });
  return { status: response.status, headers: response.headers, body: await response.text() };
};

export class Browser {
  readonly jar = new CookieJar();
  private readonly userAgent: string;
  private readonly transport: Transport;

  constructor(userAgent = 'linkid-test-browser', transport: Transport = viaFetch) {
    this.userAgent = userAgent;
    this.transport = transport;
  }

  async request(url: string, init: BrowserRequest = {}): Promise<Page> {
    const headers = new Headers(init.headers);
    headers.set('user-agent', this.userAgent);
    headers.set('accept', init.api ? 'application/json' : 'text/html');
    const cookie = this.jar.getCookieStringSync(url);
    if (cookie) headers.set('cookie', cookie);
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers.set('content-type', 'application/x-www-form-urlencoded');
      if (!init.api && !headers.has('origin')) headers.set('origin', new URL(url).origin);
      if (!init.api && !headers.has('sec-fetch-site')) headers.set('sec-fetch-site', 'same-origin');
    }
    const answer = await this.transport(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body });
    for (const setCookie of answer.headers.getSetCookie()) this.jar.setCookieSync(setCookie, url);
    const location = answer.headers.get('location') ?? undefined;
    return {
      status: answer.status,
      url,
      location: location && new URL(location, url).href,
      body: answer.body,
      headers: answer.headers,
    };
  }

  /** GETs `url` and follows redirects until a page answers or a URL starts with `stopAt`. */
  async follow(url: string, stopAt?: string): Promise<Page> {
    let page = await this.request(url);
    for (let hops = 0; page.location && hops < 20; hops += 1) {
      if (stopAt && page.location.startsWith(stopAt)) return page;
      page = await this.request(page.location);
    }
    return page;
  }

  /** Submits the first form on `page` whose action matches, with its hidden inputs plus `fields`. */
  async submit(page: Page, actionPattern: RegExp, fields: Record<string, string> = {}, stopAt?: string): Promise<Page> {
    const form = formOn(page, actionPattern);
    const response = await this.request(form.action, { form: { ...form.hidden, ...fields } });
    if (response.location && !(stopAt && response.location.startsWith(stopAt))) return this.follow(response.location, stopAt);
    return response;
  }
}

export interface Form {
  readonly action: string;
  readonly hidden: Record<string, string>;
}

const decode = (value: string) =>
  value
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');

/** The first form on a page whose action matches: its absolute action and its hidden fields. */
export function formOn(page: Pick<Page, 'status' | 'url' | 'body'>, actionPattern: RegExp): Form {
  for (const match of page.body.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const action = decode(match[1] ?? '');
    if (!actionPattern.test(action)) continue;
    const hidden: Record<string, string> = {};
    for (const input of (match[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) hidden[input[1] ?? ''] = decode(input[2] ?? '');
    return { action: new URL(action, page.url).href, hidden };
  }
  throw new Error(`no form matching ${actionPattern} on ${page.url} (status ${page.status}):\n${page.body.slice(0, 2000)}`);
}
