// Approval from another browser, probed as an attacker would, over HTTP, at every step: a mail
// scanner that presses buttons, races, mixed sign-ins, replays, bad input, spoofed headers, limits,
// secrets at rest and in logs, and an approved sign-in held while the account is ended.
// The tests under "findings" failed on the first version of the feature and say in a comment what
// the right behaviour is (each is fixed now and keeps it so); the others pin promises that held.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/kernel/token-crypto.js';
import type { Store } from '../../src/store/port.js';
import { Browser, formOn, type Page } from '../support/browser.js';
import type { RunningLinkid } from '../support/linkid.js';
import { latestSignInMail, type SignInMail } from '../support/outbox.js';
import type { RelyingParty } from '../support/relying-party.js';
import { finishAtApp, reasonOf, requestLink, signIn } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const LAPTOP_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SCANNER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36';

async function start(linkid: RunningLinkid, rp: RelyingParty, email: string) {
  const laptop = new Browser(LAPTOP_UA);
  const attempt = await rp.authorizationUrl();
  const { page, mail } = await requestLink(laptop, linkid, attempt, email);
  return { laptop, attempt, page, mail };
}

const statusUrl = (page: Page) => new URL(/data-url="([^"]+\/approval)"/.exec(page.body)![1]!, page.url).href;

async function statusOf(laptop: Browser, page: Page): Promise<{ state: string; number?: number }> {
  const answer = await laptop.request(statusUrl(page), { api: true });
  expect(answer.status, answer.body).toBe(200);
  return JSON.parse(answer.body) as { state: string; number?: number };
}

/** Three different two-digit numbers, `number` first. */
const threeFrom = (number: number): number[] => [0, 1, 2].map((step) => ((number - 10 + step) % 90) + 10);

async function ask(mail: Pick<SignInMail, 'link'>, phone = new Browser()) {
  const opened = await phone.request(mail.link);
  expect(opened.status, opened.body).toBe(200);
  const numbers = await phone.submit(opened, /\/login\/link\/approve$/);
  expect(numbers.status, numbers.body).toBe(200);
  return { phone, numbers, form: formOn(numbers, /\/approve\/answer$/) };
}

async function qrLinkOf(mail: Pick<SignInMail, 'link'>, phone = new Browser()): Promise<{ page: Page; link?: string; token?: string }> {
  const page = await phone.submit(await phone.request(mail.link), /\/login\/link\/qr$/);
  const link = /<code>(http[^<]+\/login\/link\?token=[^<]+)<\/code>/.exec(page.body)?.[1]?.replace(/&amp;/g, '&');
  return { page, link, token: link ? (new URL(link).searchParams.get('token') ?? undefined) : undefined };
}

/** The starting window's script: once approved, it presses Continue by itself. */
async function continueIn(laptop: Browser, page: Page) {
  return laptop.submit(page, /\/approved$/, {}, 'http');
}

const raw = (linkid: RunningLinkid, urlPath: string, init: RequestInit = {}) => fetch(new URL(urlPath, linkid.issuer), { redirect: 'manual', ...init });

/** A POST with headers fetch would not send as given (Host). */
const rawPost = (linkid: RunningLinkid, urlPath: string, headers: Record<string, string>, body: string) =>
  new Promise<number>((resolve, reject) => {
    const url = new URL(urlPath, linkid.issuer);
    const request = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end(body);
  });

/** The stored trail of one address, once every event written so far has reached the store. */
const auditOf = async (linkid: RunningLinkid, email: string) => {
  await linkid.settle();
  return linkid.store.audit.search({ email }, linkid.clock.now());
};

/**
 * The brief's mail scanner: a real headless browser (same-origin Origin and Sec-Fetch-Site, no
 * cookies of the person's) that opens every link in a mail and presses the first button of every
 * page it reaches.
 */
async function buttonPressingScanner(link: string): Promise<Page> {
  const scanner = new Browser(SCANNER_UA);
  let page = await scanner.request(link);
  for (let hops = 0; hops < 4 && page.status === 200; hops += 1) {
    const form = /<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(page.body);
    if (!form) break;
    const first = formOn(page, new RegExp(`^${form[1]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    const button = /<button type="submit"(?: name="([^"]+)" value="([^"]*)")?/.exec(form[2]!);
    if (!button) break;
    page = await scanner.request(first.action, { form: { ...first.hidden, ...(button[1] ? { [button[1]]: button[2]! } : {}) } });
  }
  return page;
}

describe('findings', () => {
  const { setup } = useLinkid();

  // FINDING (HIGH), fixed: the number is typed now. The binding cookie was what kept a button-pressing scanner from signing anyone
  // in (DESIGN step 3). Approval from another browser takes it out of the way: the scanner's first
  // press is "Approve from here", its second the first of three numbers, which is the right one a
  // third of the time, and the starting window (the attacker's, who typed the victim's address)
  // then continues by itself. Right behaviour: nothing a scanner does by pressing buttons can
  // approve a sign-in (for example the number typed, not chosen from buttons, so a click cannot
  // pick it); at most it may fail to.
  it("a button-pressing mail scanner does not sign the attacker's window in as the victim", async () => {
    const { linkid, rp } = await setup({ env: { RATE_LIMIT_SEND_PER_IP: '1000/1h', RATE_LIMIT_CODE_PER_IP: '1000/10m' } });
    let signedIn: string | undefined;
    for (let round = 0; round < 30 && !signedIn; round += 1) {
      // The attacker starts a sign-in with the victim's address; the victim's scanner reads the mail.
      const victim = `victim${round}@example.com`;
      const { laptop, attempt, page, mail } = await start(linkid, rp, victim);
      const last = await buttonPressingScanner(mail.link);
      if ((await statusOf(laptop, page)).state !== 'approved') {
        // Its press of Approve carries no typed number: refused, and the sign-in is not ended.
        expect(reasonOf(last)).toBe('approval_invalid');
        expect((await statusOf(laptop, page)).state).toBe('asked');
        continue;
      }
      const callback = await finishAtApp(laptop, rp, await continueIn(laptop, page));
      signedIn = (await rp.redeem(callback, attempt)).claims()?.email as string;
    }
    expect(signedIn, 'the attacker holds an ID token for the victim, approved by the scanner').toBeUndefined();
  });

  // FINDING (LOW), fixed. askApproval writes `sign_in.approval_requested` only when the stored
  // approvalRequestedAt equals a second reading of the clock (approve-elsewhere.ts); on the system
  // clock, any millisecond between the store's write and that reading loses the event (the
  // existing flow test fails the same way about half the time). Right behaviour: the first ask is
  // audited every time, with its IP.
  it('audits the first ask for approval even when the store takes a millisecond', async () => {
    const slow = (store: Store): Store => {
      const tokens = store.loginTokens;
      const loginTokens = new Proxy(tokens, {
        get: (target, name, receiver) =>
          name === 'requestApproval'
            ? async (hash: string, now: number) => {
                const asked = await target.requestApproval(hash, now);
                await new Promise((resolve) => setTimeout(resolve, 3));
                return asked;
              }
            : (Reflect.get(target, name, receiver) as unknown),
      });
      return new Proxy(store, { get: (target, name, receiver) => (name === 'loginTokens' ? loginTokens : (Reflect.get(target, name, receiver) as unknown)) });
    };
    const { linkid, rp } = await setup({ wrapStore: slow });
    const { mail } = await start(linkid, rp, 'asked@example.com');
    await ask(mail);
    const events = (await auditOf(linkid, 'asked@example.com')).map((event) => event.event);
    expect(events).toContain('sign_in.approval_requested');
  });

  // FINDING (LOW), fixed. "Each one spends the first link's per-token budget" (issue-qr-link.ts), but a QR
  // link is a link of its own with a fresh budget of its own, and it can ask for QR links in turn:
  // anyone holding one link (a forwarded mail, a link that leaked) can mint login tokens for one
  // sign-in without bound, each a row in the store, with no per-IP limit in the way. Right
  // behaviour: the budget is the sign-in's (or the first link's, charged for every descendant),
  // so one sign-in's links stay few.
  it("a sign-in's QR links stay within the first link's budget, QR links of QR links included", async () => {
    const { linkid, rp } = await setup({ env: { RATE_LIMIT_VERIFY_PER_TOKEN: '3/10m' } });
    const { mail } = await start(linkid, rp, 'mint@example.com');
    const first = await linkid.store.loginTokens.findByHash(sha256(mail.token));
    let frontier = [mail.link];
    for (let generation = 0; generation < 3; generation += 1) {
      const next: string[] = [];
      for (const link of frontier) {
        for (let n = 0; n < 3; n += 1) {
          const issued = await qrLinkOf({ link });
          if (issued.link) next.push(issued.link);
        }
      }
      frontier = next;
    }
    expect(first).toBeDefined();
    // This linkid holds this one sign-in only; a budget of 3 for the first link allows 1 + 3 tokens at most.
    expect(await linkid.store.loginTokens.countPending(linkid.clock.now())).toBeLessThanOrEqual(4);
  });

  // FINDING (LOW), fixed. A refused answer spends the IP's code budget: RATE_LIMIT_CODE_PER_IP is consumed
  // before the address's lock is looked at, and not given back when the lock refuses (DESIGN: "A
  // refused request spends no limit"). Right behaviour: code_locked refuses before spending, or
  // gives the point back, as consumeAll does for the email form.
  it('an answer refused because the address is locked spends no code attempt of the IP', async () => {
    const { linkid, rp } = await setup({ env: { RATE_LIMIT_CODE_PER_IP: '3/10m', RATE_LIMIT_CODE_FAILURES_PER_EMAIL: '1/1h' } });
    // The address is locked (one wrong number, from some other sign-in of it).
    const locked = await start(linkid, rp, 'locked@example.com');
    const first = await ask(locked.mail);
    const { number } = await statusOf(locked.laptop, locked.page);
    const wrong = threeFrom(number!)[1]!;
    expect(reasonOf(await first.phone.request(first.form.action, { form: { ...first.form.hidden, number: String(wrong), choice: 'approve' } }))).toBe(
      'approval_mismatch',
    );
    // Two answers refused by the lock...
    for (let n = 0; n < 2; n += 1) {
      const again = await start(linkid, rp, 'locked@example.com');
      const asked = await ask(again.mail);
      const right = (await statusOf(again.laptop, again.page)).number!;
      expect(reasonOf(await asked.phone.request(asked.form.action, { form: { ...asked.form.hidden, number: String(right), choice: 'approve' } }))).toBe(
        'code_locked',
      );
    }
    // ...leave this IP its code budget for someone else's sign-in (3 points, one spent on the wrong number).
    const other = await start(linkid, rp, 'bystander@example.com');
    const coded = await other.laptop.submit(other.page, /\/code$/, { code: '000000' });
    expect(coded.body).not.toContain('Please wait a moment');
    expect(coded.status).not.toBe(429);
  });
});

describe('promises that held', () => {
  const { setup } = useLinkid();

  // "One attempt" under concurrency: every number pressed at once (a scanner that submits every
  // button, a double tap), with the starting window's Continue racing them. Pressing all three can
  // win only when the right press is taken first (a guess's odds); what must hold is that once a
  // wrong number has been answered approval_mismatch, nothing reaches the app.
  it('pressing every number at once: once a wrong number is refused as wrong, no code reaches the app', async () => {
    const { linkid, rp } = await setup();
    for (let round = 0; round < 8; round += 1) {
      const { laptop, page, mail } = await start(linkid, rp, `race${round}@example.com`);
      const { phone, form } = await ask(mail);
      const { number } = await statusOf(laptop, page);
      const presses = threeFrom(number!).map((guess) => phone.request(form.action, { form: { ...form.hidden, number: String(guess), choice: 'approve' } }));
      const [answers, resumed] = await Promise.all([Promise.all(presses), continueIn(laptop, page)]);
      expect(answers.every((answer) => answer.status < 500)).toBe(true);
      expect(answers.filter((answer) => answer.status === 200).length).toBeLessThanOrEqual(1);
      const late = resumed.status === 303 ? resumed : await continueIn(laptop, page);
      let reached = false;
      if (late.status === 303) {
        let at = await laptop.follow(late.location!, rp.redirectUri);
        if (at.status === 200 && at.body.includes('name="decision"')) at = await laptop.submit(at, /\/consent$/, { decision: 'allow' }, rp.redirectUri);
        reached = /[?&]code=/.test(at.location ?? '');
      }
      if (answers.some((answer) => reasonOf(answer) === 'approval_mismatch')) expect(reached, `round ${round}`).toBe(false);
    }
  });

  it("answers and Continue do not cross sign-ins: A's form value with B's token, B's number in A", async () => {
    const { linkid, rp } = await setup();
    const a = await start(linkid, rp, 'mix-a@example.com');
    const b = await start(linkid, rp, 'mix-b@example.com');
    const askedA = await ask(a.mail);
    const askedB = await ask(b.mail);
    const numberB = (await statusOf(b.laptop, b.page)).number!;
    const crossed = await askedA.phone.request(askedA.form.action, {
      form: { token: b.mail.token, form: askedA.form.hidden.form!, number: String(numberB), choice: 'approve' },
    });
    expect(reasonOf(crossed)).toBe('approval_invalid');
    const otherToken = await askedA.phone.request(askedA.form.action, {
      form: { token: a.mail.token, form: askedB.form.hidden.form!, number: String(numberB), choice: 'approve' },
    });
    expect(reasonOf(otherToken)).toBe('approval_invalid');
    // B approved: A's window is not approved, and A's cookies do not finish B.
    expect((await askedB.phone.request(askedB.form.action, { form: { ...askedB.form.hidden, number: String(numberB), choice: 'approve' } })).status).toBe(200);
    expect((await statusOf(a.laptop, a.page)).state).toBe('asked');
    const bContinue = formOn(b.page, /\/approved$/).action;
    expect((await a.laptop.request(bContinue, { form: {} })).status).not.toBe(303);
    expect((await continueIn(b.laptop, b.page)).status).toBe(303);
  });

  // INFO, not a promise broken: a QR link made before the approval stays pending after it (as a
  // resent email's link does after a confirm); it signs nothing in once the browser has gone back
  // to the app.
  it('a QR link made before an approval signs nothing in once the approved sign-in reached the app', async () => {
    const { linkid, rp } = await setup();
    const { laptop, page, mail } = await start(linkid, rp, 'qr-after@example.com');
    const qr = await qrLinkOf(mail);
    expect(qr.token).toBeDefined();
    const { phone, form } = await ask(mail);
    const { number } = await statusOf(laptop, page);
    expect((await phone.request(form.action, { form: { ...form.hidden, number: String(number), choice: 'approve' } })).status).toBe(200);
    const resumed = await continueIn(laptop, page);
    await finishAtApp(laptop, rp, resumed);
    // The QR link opened anywhere afterwards signs nothing in.
    const late = await new Browser().request(qr.link!);
    if (late.status === 200) {
      const asked = await new Browser().request(formOn(late, /\/approve$/).action, { form: { token: qr.token! } });
      expect(asked.status).not.toBe(200);
    }
    const again = await laptop.request(qr.link!);
    if (again.status === 200 && again.body.includes('/verify"')) {
      const pressed = await laptop.submit(again, /\/verify$/, {}, 'http');
      expect(pressed.status).not.toBe(303);
    }
  });

  it('an approved sign-in held while an administrator disables the account, or its address changes, does not finish', async () => {
    const { linkid, rp } = await setup();
    const approvedAndHeld = async (email: string) => {
      await signIn(new Browser(), linkid, rp, email); // an account that exists
      const held = await start(linkid, rp, email);
      const asked = await ask(held.mail);
      const { number } = await statusOf(held.laptop, held.page);
      expect((await asked.phone.request(asked.form.action, { form: { ...asked.form.hidden, number: String(number), choice: 'approve' } })).status).toBe(200);
      expect((await statusOf(held.laptop, held.page)).state).toBe('approved');
      return held;
    };
    const signsNobodyIn = async (held: Awaited<ReturnType<typeof start>>) => {
      const resumed = await continueIn(held.laptop, held.page);
      if (resumed.status !== 303) return;
      const landed = await held.laptop.follow(resumed.location!, rp.redirectUri);
      expect(landed.location ?? '').not.toMatch(/[?&]code=/);
    };
    const disabled = await approvedAndHeld('disabled@example.com');
    await linkid.services.admin.users.disable('disabled@example.com');
    await signsNobodyIn(disabled);

    // A confirmed change of address, as confirm-change.ts does it: the address, then endAll with the old address.
    const changed = await approvedAndHeld('moved@example.com');
    const user = await linkid.store.users.findByEmail('moved@example.com');
    expect(await linkid.store.users.changeEmail(user!.id, 'moved-new@example.com')).toBe('changed');
    await linkid.services.accountSessions.endAll(user!.id, 'revoked', { addresses: ['moved@example.com'] });
    await signsNobodyIn(changed);
    // ...and made no new account for the old address either.
    expect(await linkid.store.users.findByEmail('moved@example.com')).toBeUndefined();
  });

  it('the number reaches only the starting window: not the numbers page, headers, audit trail, logs or the store', async () => {
    const { linkid, rp } = await setup();
    const { laptop, page, mail } = await start(linkid, rp, 'secret@example.com');
    const qr = await qrLinkOf(mail);
    const { phone, numbers, form } = await ask(mail);
    const { number } = await statusOf(laptop, page);
    // The page to type the number in does not hold it.
    expect(numbers.body).not.toMatch(new RegExp(`(>|value=")${number}(<|")`));
    expect(numbers.headers.get('cache-control')).toBe('no-store');
    expect(qr.page.headers.get('cache-control')).toBe('no-store');
    // Headers whose values are random or sizes (a nonce, a request id, a date) may hold any two digits by chance.
    const chance = new Set(['date', 'content-length', 'content-security-policy', 'x-request-id', 'set-cookie', 'etag', 'keep-alive']);
    for (const [name, value] of numbers.headers) if (!chance.has(name)) expect(`${name}: ${value}`).not.toContain(String(number));
    expect((await phone.request(form.action, { form: { ...form.hidden, number: String(number), choice: 'approve' } })).status).toBe(200);
    expect((await continueIn(laptop, page)).status).toBe(303);

    const events = await auditOf(linkid, 'secret@example.com');
    const trail = JSON.stringify(events);
    for (const secret of [mail.token, qr.token!, form.hidden.form!, mail.code]) expect(trail).not.toContain(secret);
    for (const event of events) expect(Object.keys(event.fields ?? {})).not.toEqual(expect.arrayContaining(['number', 'choice', 'choices', 'form']));
    const logs = linkid.logs.join('');
    for (const secret of [mail.token, qr.token!, form.hidden.form!]) expect(logs).not.toContain(secret);
    for (const file of fs.readdirSync(linkid.dataDir).filter((name) => /\.(db|sqlite)(-wal|-shm)?$/.test(name) || name.includes('.db'))) {
      const bytes = fs.readFileSync(path.join(linkid.dataDir, file)).toString('latin1');
      for (const secret of [mail.token, qr.token!, form.hidden.form!]) expect(bytes, file).not.toContain(secret);
    }
  });

  it('asking again changes neither the number nor the form value', async () => {
    const { linkid, rp } = await setup();
    const { laptop, page, mail } = await start(linkid, rp, 'narrow@example.com');
    const once = (await ask(mail)).form.hidden;
    const number = (await statusOf(laptop, page)).number;
    for (let n = 0; n < 3; n += 1) {
      expect((await ask(mail)).form.hidden).toEqual(once);
      expect((await statusOf(laptop, page)).number).toBe(number);
    }
  });

  it('bad input on every new URL is a 4xx page, never a 500, and changes nothing', async () => {
    const { linkid, rp } = await setup();
    const { laptop, page, mail } = await start(linkid, rp, 'bad@example.com');
    const { form } = await ask(mail);
    const same = { origin: linkid.issuer, 'sec-fetch-site': 'same-origin' };
    const post = (url: string, body: string | Uint8Array, type = 'application/x-www-form-urlencoded') =>
      raw(linkid, url, { method: 'POST', headers: { ...same, 'content-type': type }, body });
    const bodies: [string, string | Uint8Array, string?][] = [
      ['/login/link/approve', ''],
      ['/login/link/approve', 'token[]=a&token[]=b'],
      ['/login/link/approve', `token=${'A'.repeat(20_000)}`],
      ['/login/link/approve', JSON.stringify({ token: { $ne: null } }), 'application/json'],
      ['/login/link/approve', Buffer.from([0x74, 0x6f, 0x6b, 0x65, 0x6e, 0x3d, 0xff, 0xfe, 0xc3, 0x28])],
      ['/login/link/approve', '%%%', 'application/x-www-form-urlencoded'],
      ['/login/link/approve', '{"token":', 'application/json'],
      ['/login/link/approve/answer', `token=${mail.token}&form=${form.hidden.form}`],
      ['/login/link/approve/answer', `token=${mail.token}&form=${form.hidden.form}&choice=42&choice=43`],
      ['/login/link/approve/answer', `token=${mail.token}&form=${form.hidden.form!.toUpperCase()}&choice=42`],
      ['/login/link/approve/answer', `token=${mail.token}&form[]=${form.hidden.form}&choice=deny`],
      ['/login/link/approve/answer', JSON.stringify({ token: mail.token, form: form.hidden.form, choice: 42 }), 'application/json'],
      ['/login/link/approve/answer', `token=${mail.token}&form=${form.hidden.form}&choice=${'9'.repeat(5000)}`],
      ['/login/link/approve/answer', `token=${mail.token}&form=${form.hidden.form}&choice=%00`],
      ['/login/link/qr', 'token=%ff%fe'],
      ['/login/link/qr', `token=${'x'.repeat(40_000)}`],
    ];
    for (const [url, body, type] of bodies) {
      const answer = await post(url, body, type);
      expect(answer.status, `${url} ${String(body).slice(0, 80)}`).toBeGreaterThanOrEqual(400);
      expect(answer.status, `${url} ${String(body).slice(0, 80)}`).toBeLessThan(500);
    }
    const uid = /action="(\/interaction\/[^/"]+)\/approved"/.exec(page.body)![1]!;
    for (const url of [`${uid}/approval`, `${uid}/approved`, '/interaction/%ff/approval', `/interaction/${'u'.repeat(5000)}/approved`]) {
      for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'POST']) {
        const answer = await raw(linkid, url, { method, headers: method === 'POST' ? same : {} });
        expect(answer.status, `${method} ${url}`).toBeLessThan(500);
      }
    }
    for (const url of ['/login/link/approve', '/login/link/approve/answer', '/login/link/qr']) {
      for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']) {
        const answer = await raw(linkid, `${url}?token=${mail.token}&choice=42&form=${form.hidden.form}`, { method });
        expect(answer.status, `${method} ${url}`).toBeLessThan(500);
      }
    }
    // Nothing was consumed or ended: the right number still works.
    const { number } = await statusOf(laptop, page);
    const stored = await linkid.store.loginTokens.findByHash(sha256(mail.token));
    expect(stored?.usedAt).toBeNull();
    expect(number).toBeDefined();
  });

  it('spoofed Origin, Sec-Fetch-Site or Host are refused before anything is spent', async () => {
    const { linkid, rp } = await setup({ env: { RATE_LIMIT_VERIFY_PER_TOKEN: '2/10m' } });
    const { laptop, page, mail } = await start(linkid, rp, 'spoof@example.com');
    const { phone, form } = await ask(mail);
    const { number } = await statusOf(laptop, page);
    const body = new URLSearchParams({ ...form.hidden, choice: 'deny' }).toString();
    const forged: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' },
      { origin: 'null', 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
      { 'sec-fetch-site': 'same-site' },
      { origin: linkid.issuer.replace('127.0.0.1', 'localhost') },
      { origin: linkid.issuer, host: 'evil.example' },
      { origin: linkid.issuer, 'x-forwarded-host': 'evil.example', 'x-forwarded-for': '203.0.113.9' },
    ];
    for (const headers of forged) {
      for (const url of ['/login/link/approve', '/login/link/approve/answer', '/login/link/qr']) {
        if (headers['x-forwarded-host']) continue; // same origin: a real answer (checked below with its own sign-in)
        const status = await rawPost(linkid, url, { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body);
        expect(status, `${url} ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(400);
      }
    }
    // The deny with X-Forwarded-* from a same-origin page is a real deny (no trust added); so use a fresh sign-in for the rest.
    const fresh = await start(linkid, rp, 'spoof2@example.com');
    const freshAsk = await ask(fresh.mail);
    for (const headers of forged.slice(0, 7)) {
      const denied = new URLSearchParams({ ...freshAsk.form.hidden, choice: 'deny' }).toString();
      expect(
        await rawPost(linkid, '/login/link/approve/answer', { 'content-type': 'application/x-www-form-urlencoded', ...headers }, denied),
      ).toBeGreaterThanOrEqual(400);
    }
    // X-Forwarded-For is not trusted without TRUST_PROXY: the audit trail keeps the socket's address.
    const xff = await start(linkid, rp, 'spoof3@example.com');
    const xffAsk = await new Browser()
      .request(xff.mail.link)
      .then((opened) =>
        new Browser().request(formOn(opened, /\/approve$/).action, { form: { token: xff.mail.token }, headers: { 'x-forwarded-for': '203.0.113.9' } }),
      );
    expect(xffAsk.status).toBe(200);
    expect(JSON.stringify(await auditOf(linkid, 'spoof3@example.com'))).not.toContain('203.0.113.9');
    // The per-token budget of 2 is intact: one more answer is accepted.
    const right = (await statusOf(fresh.laptop, fresh.page)).number!;
    expect((await freshAsk.phone.request(freshAsk.form.action, { form: { ...freshAsk.form.hidden, number: String(right), choice: 'approve' } })).status).toBe(
      200,
    );
    expect(number).toBeDefined();
    expect(phone).toBeDefined();
  });

  it('an unknown or not-allowed address walks the same states as a known one in the starting window', async () => {
    const { linkid, rp } = await setup({ env: { SIGNUP: 'allowlist', SIGNUP_ALLOWED_DOMAINS: 'allowed.example' } });
    const mask = (body: string) =>
      body
        .replace(/nonce="[^"]+"/g, '')
        .replace(/request id <code>[^<]+<\/code>/, '')
        .replace(/\/(interaction)\/[^/"]+/g, '/$1/UID')
        .replace(/[a-z0-9.-]+@[a-z.]+/g, 'EMAIL');
    const answers: string[] = [];
    for (const email of ['known@allowed.example', 'stranger@elsewhere.example']) {
      const laptop = new Browser(LAPTOP_UA);
      const form = await laptop.follow((await rp.authorizationUrl()).url);
      const checkEmail = await laptop.submit(form, /\/login$/, { email });
      await linkid.settle();
      const status = await statusOf(laptop, checkEmail);
      const waiting = await laptop.submit(checkEmail, /\/approved$/);
      answers.push(`${checkEmail.status} ${mask(checkEmail.body)}\n${JSON.stringify(status)}\n${waiting.status} ${mask(waiting.body)}`);
    }
    expect(answers[1]).toBe(answers[0]);
    const mail = await latestSignInMail(linkid, 'known@allowed.example');
    expect(mail.token).toBeDefined();
  });
});
