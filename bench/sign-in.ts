// The sign-ins the bench drives, over HTTP as a browser and an app do them: linkid's magic link
// (authorize with PKCE, email form, the mail from the outbox, open the link, confirm, consent, code,
// token) and the bare provider's development login form (authorize, login form, consent, code,
// token). Any unexpected answer throws: a sign-in that does not complete fails the bench.
import { createHash, randomBytes } from 'node:crypto';
import { formOn, type Browser, type Page } from '../test/support/browser.ts';
import { newBrowser, postForm } from './http-client.ts';
import type { Client } from './linkid.ts';
import type { Inbox } from './mailbox.ts';

export interface Target {
  readonly kind: 'linkid' | 'bare';
  readonly url: string;
  readonly client: Client;
  /** linkid only: where its sign-in mail is read. */
  readonly mailbox?: Inbox;
}

export interface Tokens {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly id_token: string;
}

function expectStatus(reply: Page, status: number, what: string): void {
  if (reply.status !== status) throw new Error(`${what}: expected ${status}, got ${reply.status} ${reply.location ?? ''}\n${reply.body.slice(0, 800)}`);
}

const base64url = (bytes: Buffer) => bytes.toString('base64url');

/** An authorization request with PKCE, as an app starts one. */
export function authorization(target: Target, scope: string, prompt?: string) {
  const verifier = base64url(randomBytes(32));
  const params = new URLSearchParams({
    client_id: target.client.id,
    redirect_uri: target.client.redirectUri,
    response_type: 'code',
    scope,
    state: base64url(randomBytes(16)),
    nonce: base64url(randomBytes(16)),
    code_challenge: base64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  });
  if (prompt) params.set('prompt', prompt);
  return { url: `${target.url}/auth?${params.toString()}`, verifier };
}

/** A started sign-in: a browser standing on the login page (linkid's email form, bare's login form). */
export interface OpenInteraction {
  readonly browser: Browser;
  readonly action: string;
  readonly hidden: Record<string, string>;
  readonly verifier: string;
}

export async function openInteraction(target: Target, scope = 'openid email', prompt?: string, browser: Browser = newBrowser()): Promise<OpenInteraction> {
  const request = authorization(target, scope, prompt);
  const page = await browser.follow(request.url);
  expectStatus(page, 200, `${target.kind} login page`);
  const form = formOn(page, target.kind === 'linkid' ? /\/login$/ : /\/interaction\/[^/]+$/);
  return { browser, action: form.action, hidden: form.hidden, verifier: request.verifier };
}

/** The login form POST: linkid's email form, or bare's login form. Returns the reply. */
export async function submitLogin(target: Target, open: OpenInteraction, email: string): Promise<Page> {
  const fields: Record<string, string> = target.kind === 'linkid' ? { email } : { prompt: 'login', login: email, password: 'bench' };
  const reply = await open.browser.request(open.action, { form: { ...open.hidden, ...fields } });
  if (target.kind === 'linkid') {
    expectStatus(reply, 200, 'linkid email form');
    if (!reply.body.includes('Check your email')) throw new Error(`linkid email form: no "check your email" page:\n${reply.body.slice(0, 800)}`);
  } else expectStatus(reply, 303, 'bare login form');
  return reply;
}

/** From the reply that finishes the login to the app's redirect URI, allowing consent on the way. */
export async function toApp(target: Target, browser: Browser, from: Page): Promise<string> {
  expectStatus(from, 303, `${target.kind} login finished`);
  const stopAt = target.client.redirectUri;
  let page = await browser.follow(from.location as string, stopAt);
  if (page.status === 200) {
    const consent = formOn(page, target.kind === 'linkid' ? /\/consent$/ : /\/interaction\/[^/]+$/);
    const fields: Record<string, string> = target.kind === 'linkid' ? { decision: 'allow' } : {};
    const reply = await browser.request(consent.action, { form: { ...consent.hidden, ...fields } });
    expectStatus(reply, 303, `${target.kind} consent`);
    page = reply.location?.startsWith(stopAt) ? reply : await browser.follow(reply.location as string, stopAt);
  }
  if (!page.location?.startsWith(stopAt))
    throw new Error(`${target.kind}: sign-in did not reach the app (${page.status} ${page.url}):\n${page.body.slice(0, 800)}`);
  return page.location;
}

export async function redeem(target: Target, callback: string, verifier: string): Promise<Tokens> {
  const code = new URL(callback).searchParams.get('code');
  if (!code) throw new Error(`${target.kind}: no code in ${callback}`);
  const reply = await postForm(
    `${target.url}/token`,
    { grant_type: 'authorization_code', code, redirect_uri: target.client.redirectUri, code_verifier: verifier },
    target.client,
  );
  expectStatus(reply, 200, `${target.kind} token`);
  return JSON.parse(reply.body) as Tokens;
}

/** One complete sign-in of `email`, from the app's authorization request to its tokens. */
export async function signIn(target: Target, email: string, options: { scope?: string; prompt?: string } = {}): Promise<Tokens> {
  const open = await openInteraction(target, options.scope, options.prompt);
  const login = await submitLogin(target, open, email);
  let finished = login;
  if (target.kind === 'linkid') {
    if (!target.mailbox) throw new Error('linkid target without a mailbox');
    const mail = await target.mailbox.waitFor(email);
    const confirm = await open.browser.request(mail.link);
    expectStatus(confirm, 200, 'linkid confirm page');
    const form = formOn(confirm, /\/verify$/);
    finished = await open.browser.request(form.action, { form: form.hidden });
  }
  return redeem(target, await toApp(target, open.browser, finished), open.verifier);
}

export function refresh(target: Target, refreshToken: string): Promise<Page> {
  return postForm(`${target.url}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken }, target.client);
}
