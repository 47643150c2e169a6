// A cookie-keeping HTTP client that behaves like a browser for server-rendered pages: it keeps
// cookies with their paths (tough-cookie), follows redirects by hand, and sends Origin and
// Sec-Fetch-Site on form posts the way a browser does for a same-origin form.
import { CookieJar } from 'tough-cookie';

export interface Page {
  readonly status: number;
  readonly url: string;
  readonly location: string | undefined;
  readonly body: string;
  readonly headers: Headers;
}

export class Browser {
  readonly jar = new CookieJar();

  constructor(private readonly userAgent = 'linkid-test-browser') {}

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Page> {
    const headers = new Headers(init.headers);
    headers.set('user-agent', this.userAgent);
    headers.set('accept', 'text/html');
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers.set('cookie', cookie);
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers.set('content-type', 'application/x-www-form-urlencoded');
      if (!headers.has('origin')) headers.set('origin', new URL(url).origin);
      if (!headers.has('sec-fetch-site')) headers.set('sec-fetch-site', 'same-origin');
    }
    const response = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const setCookie of response.headers.getSetCookie()) await this.jar.setCookie(setCookie, url);
    const location = response.headers.get('location') ?? undefined;
    return {
      status: response.status,
      url,
      location: location && new URL(location, url).href,
      body: await response.text(),
      headers: response.headers,
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

export function formOn(page: Page, actionPattern: RegExp): Form {
  for (const match of page.body.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const action = decode(match[1]!);
    if (!actionPattern.test(action)) continue;
    const hidden: Record<string, string> = {};
    for (const input of match[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) hidden[input[1]!] = decode(input[2]!);
    return { action: new URL(action, page.url).href, hidden };
  }
  throw new Error(`no form matching ${actionPattern} on ${page.url} (status ${page.status}):\n${page.body.slice(0, 2000)}`);
}
