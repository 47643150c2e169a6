// The link opened in a browser that did not start the sign-in (the mail read on a phone, the
// sign-in begun on a laptop): the page says so at the GET, shows who is asking, and offers to
// approve from there with number matching, a QR code of a fresh link, and the code. Driven over
// HTTP as two browsers would, and as an attacker would: forged forms, wrong numbers, races,
// replays after a cancel, and a sign-out-everywhere between approval and finish.
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/kernel/token-crypto.js';
import { Browser, formOn, type Page } from '../support/browser.js';
import type { RunningLinkid } from '../support/linkid.js';
import { latestSignInMail, type SignInMail } from '../support/outbox.js';
import type { RelyingParty } from '../support/relying-party.js';
import { fakeClock } from '../support/fake-clock.js';
import { confirmLink, finishAtApp, reasonOf, requestLink, signIn } from '../support/sign-in.js';
import { useLinkid, useSharedLinkid } from '../support/use-linkid.js';

const LAPTOP_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const PHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

/** A sign-in started on the laptop, at "check your email", and its mail. */
async function startOnLaptop(linkid: RunningLinkid, rp: RelyingParty, email: string) {
  const laptop = new Browser(LAPTOP_UA);
  const attempt = await rp.authorizationUrl();
  const { page, mail } = await requestLink(laptop, linkid, attempt, email);
  return { laptop, attempt, page, mail };
}

/** What the starting window's script polls. */
async function statusOf(laptop: Browser, checkEmail: Page): Promise<{ state: string; number?: number }> {
  const url = new URL(/data-url="([^"]+\/approval)"/.exec(checkEmail.body)?.[1] ?? 'missing', checkEmail.url).href;
  const answer = await laptop.request(url, { api: true });
  expect(answer.status, answer.body).toBe(200);
  return JSON.parse(answer.body) as { state: string; number?: number };
}

/** A two-digit number other than `number`. */
const otherThan = (number: number | undefined): number => (number === 42 ? 43 : 42);

/** The link opened on the phone, then "approve": the page to type the number in. */
async function askOnPhone(mail: SignInMail, phone = new Browser(PHONE_UA)) {
  const opened = await phone.request(mail.link);
  expect(opened.status, opened.body).toBe(200);
  const numbers = await phone.submit(opened, /\/login\/link\/approve$/);
  expect(numbers.status, numbers.body).toBe(200);
  return { phone, opened, numbers };
}

/** Types `choice` and presses Approve, or presses "This wasn't me" for `deny`. */
const press = (phone: Browser, numbers: Page, choice: string | number) =>
  phone.submit(numbers, /\/approve\/answer$/, choice === 'deny' ? { choice: 'deny' } : { number: String(choice), choice: 'approve' });

const tokenOf = (linkid: RunningLinkid, mail: SignInMail) => linkid.store.loginTokens.findByHash(sha256(mail.token));

describe('approving from another browser', () => {
  const { setup } = useLinkid();

  it('knows at the GET, shows who is asking, and the right number finishes the starting window', async () => {
    const { linkid, rp } = await setup();
    const { laptop, attempt, page, mail } = await startOnLaptop(linkid, rp, 'ada@example.com');
    expect(await statusOf(laptop, page)).toEqual({ state: 'none' });

    const { phone, opened, numbers } = await askOnPhone(mail);
    // No button that could only fail: the page says what happened and what it can do.
    expect(opened.body).toContain('This link opened in a different browser');
    expect(opened.body).not.toMatch(/action="[^"]*\/verify"/);
    expect(opened.body).toContain('Chrome on macOS');
    expect(opened.body).toContain('127.0.0.0/24');
    expect(opened.body).not.toContain('127.0.0.1');
    expect(opened.body).toContain(rp.client.client_name);
    expect(opened.body).toMatch(/action="\/login\/link\/qr"/);
    expect(opened.body).toContain('6-digit code');

    // A field to type the number in (a blind guess is 1 in 90), not buttons to pick from.
    expect(numbers.body).toMatch(/<input id="number" name="number"[^>]*inputmode="numeric"/);
    expect(numbers.body).toContain('name="choice" value="deny"');

    const asked = await statusOf(laptop, page);
    expect(asked.state).toBe('asked');
    expect(asked.number).toBeGreaterThanOrEqual(10);
    expect(asked.number).toBeLessThanOrEqual(99);
    // Asking again (a reload) keeps the first ask: the same form, the same number.
    const again = await askOnPhone(mail, phone);
    expect(formOn(again.numbers, /\/approve\/answer$/).hidden).toEqual(formOn(numbers, /\/approve\/answer$/).hidden);
    expect(await statusOf(laptop, page)).toEqual(asked);

    const approved = await press(phone, numbers, asked.number!);
    expect(approved.status, approved.body).toBe(200);
    expect(approved.body).toContain('continues by itself');
    expect(await statusOf(laptop, page)).toEqual({ state: 'approved' });

    const resumed = await laptop.submit(page, /\/approved$/, {}, 'http');
    const callback = await finishAtApp(laptop, rp, resumed);
    const tokens = await rp.redeem(callback, attempt);
    expect(tokens.claims()?.email).toBe('ada@example.com');
    expect(tokens.claims()?.amr).toEqual(['email', 'otp', 'mca']);

    // Spent: the link, a second approval, and a second Continue.
    expect(reasonOf(await phone.request(mail.link))).toBe('token_used');
    expect(reasonOf(await press(phone, numbers, asked.number!))).toBe('token_used');
    await linkid.settle();
    const trail = await linkid.store.audit.search({ email: 'ada@example.com' }, linkid.clock.now());
    const events = trail.map((event) => event.event);
    expect(events).toEqual(expect.arrayContaining(['sign_in.approval_requested', 'sign_in.approved', 'login.completed']));
    const completed = trail.find((event) => event.event === 'login.completed');
    expect(completed?.fields).toMatchObject({ via: 'approval' });
  });

  it('a wrong number ends the sign-in: the starting window says so, and nothing revives it', async () => {
    const { linkid, rp } = await setup();
    const { laptop, page, mail } = await startOnLaptop(linkid, rp, 'wrong@example.com');
    const { phone, numbers } = await askOnPhone(mail);
    const { number } = await statusOf(laptop, page);
    const wrong = otherThan(number);

    const refused = await press(phone, numbers, wrong);
    expect(refused.status).toBe(403);
    expect(reasonOf(refused)).toBe('approval_mismatch');
    expect(await statusOf(laptop, page)).toEqual({ state: 'ended' });
    // One attempt: the right number now, the code, a renewal and the link all stay dead.
    expect(reasonOf(await press(phone, numbers, number!))).toBe('sign_in_cancelled');
    expect(reasonOf(await phone.request(mail.link))).toBe('sign_in_cancelled');
    const coded = await laptop.submit(page, /\/code$/, { code: mail.code }, 'http');
    expect(coded.status).not.toBe(303);
    expect((await tokenOf(linkid, mail))?.approvedAt).toBeNull();
    await linkid.settle();
    const events = await linkid.store.audit.search({ email: 'wrong@example.com' }, linkid.clock.now());
    expect(events.find((event) => event.event === 'sign_in.approval_refused')?.reason).toBe('approval_mismatch');
  });

  it('"This wasn\'t me" ends the sign-in, and pressing it again ends in the same place', async () => {
    const { linkid, rp } = await setup();
    const { laptop, page, mail } = await startOnLaptop(linkid, rp, 'notme@example.com');
    const { phone, numbers } = await askOnPhone(mail);
    const denied = await press(phone, numbers, 'deny');
    expect(denied.status).toBe(200);
    expect(denied.body).toContain('Sign-in cancelled');
    expect((await press(phone, numbers, 'deny')).body).toContain('Sign-in cancelled');
    expect(await statusOf(laptop, page)).toEqual({ state: 'ended' });
    await linkid.settle();
    const events = await linkid.store.audit.search({ email: 'notme@example.com' }, linkid.clock.now());
    expect(events.find((event) => event.event === 'sign_in.approval_refused')?.reason).toBe('approval_denied');
  });

  it('gives exactly one of many racing approvals the link', async () => {
    const { linkid, rp } = await setup();
    const { laptop, page, mail } = await startOnLaptop(linkid, rp, 'race@example.com');
    const { phone, numbers } = await askOnPhone(mail);
    const { number } = await statusOf(laptop, page);
    const form = formOn(numbers, /\/approve\/answer$/);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => phone.request(form.action, { form: { ...form.hidden, number: String(number), choice: 'approve' } })),
    );
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status !== 200).map(reasonOf)).toEqual(Array(7).fill('token_used'));
  });

  it('refuses a forged form value or an answer that is not two digits (400), changing nothing', async () => {
    const { linkid, rp } = await setup();
    const { laptop, page, mail } = await startOnLaptop(linkid, rp, 'forged@example.com');
    const { phone, numbers } = await askOnPhone(mail);
    const form = formOn(numbers, /\/approve\/answer$/);
    const { number } = await statusOf(laptop, page);
    const right = { number: String(number), choice: 'approve' };
    const forged: Record<string, string>[] = [
      { ...form.hidden, ...right, form: 'f'.repeat(64) },
      { ...form.hidden, ...right, form: '' },
      { ...form.hidden, choice: 'approve', number: '7' },
      { ...form.hidden, choice: 'approve', number: '123' },
      { ...form.hidden, choice: 'approve', number: 'yes' },
      { ...form.hidden, choice: 'approve' },
      { token: form.hidden.token ?? '', ...right },
    ];
    for (const fields of forged) {
      const refused = await phone.request(form.action, { form: fields });
      expect(refused.status, JSON.stringify(fields)).toBe(400);
      expect(reasonOf(refused)).toBe('approval_invalid');
    }
    // An answer with no ask behind it: the form value cannot be made without asking.
    const other = await startOnLaptop(linkid, rp, 'unasked@example.com');
    const unasked = await new Browser().request(form.action, {
      form: { token: other.mail.token, form: form.hidden.form ?? '', number: '42', choice: 'approve' },
    });
    expect(reasonOf(unasked)).toBe('approval_invalid');
    expect((await tokenOf(linkid, other.mail))?.usedAt).toBeNull();

    expect((await press(phone, numbers, number!)).status).toBe(200);
    expect((await laptop.submit(page, /\/approved$/, {}, 'http')).status).toBe(303);
  });

  it('only the starting browser sees the number and can finish; a stranger gets browser_mismatch', async () => {
    const { linkid, rp } = await setup();
    const { laptop, page, mail } = await startOnLaptop(linkid, rp, 'stranger@example.com');
    const { phone, numbers } = await askOnPhone(mail);
    const { number } = await statusOf(laptop, page);
    await press(phone, numbers, number!);

    // Every cookie of the starting window but its binding cookie.
    const stranger = new Browser();
    const action = formOn(page, /\/approved$/).action;
    for (const cookie of await laptop.jar.getCookies(action)) if (!cookie.key.includes('binding')) await stranger.jar.setCookie(cookie, action);
    const statusUrl = action.replace(/\/approved$/, '/approval');
    expect(JSON.parse((await stranger.request(statusUrl, { api: true })).body)).toEqual({ state: 'none' });
    const refused = await stranger.request(action, { form: {} });
    expect(refused.status).toBe(403);
    expect(reasonOf(refused)).toBe('browser_mismatch');
    expect((await tokenOf(linkid, mail))?.approvalFinishedAt).toBeNull();
    expect((await laptop.submit(page, /\/approved$/, {}, 'http')).status).toBe(303);
  });

  it('Continue before any approval shows where it stands, without JavaScript', async () => {
    const { linkid, rp } = await setup();
    const { laptop, page, mail } = await startOnLaptop(linkid, rp, 'early@example.com');
    const nothing = await laptop.submit(page, /\/approved$/);
    expect(nothing.status).toBe(200);
    expect(nothing.body).toContain('Nothing was approved from another device yet');
    await askOnPhone(mail);
    const waiting = await laptop.submit(page, /\/approved$/);
    const { number } = await statusOf(laptop, page);
    expect(waiting.body).toContain(`>${number}</p>`);
    expect((await tokenOf(linkid, mail))?.usedAt).toBeNull();
  });

  it("an expired link cannot be approved, and an approval left past the link's life cannot finish", async () => {
    const clock = fakeClock();
    const { linkid, rp } = await setup({ clock });
    const late = await startOnLaptop(linkid, rp, 'late@example.com');
    const asked = await askOnPhone(late.mail);
    clock.advance(10 * 60 * 1000 + 1);
    const refused = await press(asked.phone, asked.numbers, (await statusOf(late.laptop, late.page)).number ?? 10);
    expect(refused.status).toBe(410);
    expect(reasonOf(refused)).toBe('token_expired');

    clock.advance(60_000);
    const slow = await startOnLaptop(linkid, rp, 'slow@example.com');
    const again = await askOnPhone(slow.mail);
    const { number } = await statusOf(slow.laptop, slow.page);
    expect((await press(again.phone, again.numbers, number!)).status).toBe(200);
    clock.advance(10 * 60 * 1000 + 1);
    const finish = await slow.laptop.submit(slow.page, /\/approved$/, {}, 'http');
    expect(finish.status).toBe(410);
    expect(reasonOf(finish)).toBe('token_expired');
  });

  it('an approval for a sign-in cancelled from the email gets sign_in_cancelled, before and after asking', async () => {
    const { linkid, rp } = await setup();
    const { mail } = await startOnLaptop(linkid, rp, 'cancelled@example.com');
    const { phone, numbers } = await askOnPhone(mail);
    const cancel = await phone.request(/(http\S+\/login\/cancel\?token=[\w-]{43})/.exec(mail.message.text)![1]!);
    await phone.submit(cancel, /\/login\/cancel$/);
    expect(reasonOf(await press(phone, numbers, 42))).toBe('sign_in_cancelled');
    expect(reasonOf(await phone.request(mail.link))).toBe('sign_in_cancelled');
    // The ask itself, posted from a page opened before the cancel.
    expect(reasonOf(await phone.request(formOn(numbers, /\/approve\/answer$/).action.replace(/\/answer$/, ''), { form: { token: mail.token } }))).toBe(
      'sign_in_cancelled',
    );
  });

  it('an approval left unfinished while the owner signs out everywhere cannot finish', async () => {
    const { linkid, rp } = await setup();
    // The owner is signed in somewhere already.
    await signIn(new Browser(), linkid, rp, 'held@example.com');
    const { laptop, page, mail } = await startOnLaptop(linkid, rp, 'held@example.com');
    const { phone, numbers } = await askOnPhone(mail);
    const { number } = await statusOf(laptop, page);
    expect((await press(phone, numbers, number!)).status).toBe(200);
    const user = await linkid.store.users.findByEmail('held@example.com');
    await linkid.services.accountSessions.endAll(user!.id, 'revoked');
    const resumed = await laptop.submit(page, /\/approved$/, {}, 'http');
    expect(resumed.status).not.toBe(303);
  });
});

describe('in-app browsers', () => {
  const shared = useSharedLinkid();
  const INSTAGRAM_ANDROID =
    'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/127.0.6533.103 Mobile Safari/537.36 Instagram 343.0.0.42.93 Android (34/14; 420dpi; 1080x2400; Google/google; Pixel 8; shiba; shiba; en_US; 628183364)';

  it('say in plain words what happened, offer "copy link" and the way out, next to approval', async () => {
    const { linkid, rp } = shared;
    const { mail } = await startOnLaptop(linkid, rp, 'inapp@example.com');
    const inApp = await new Browser(INSTAGRAM_ANDROID).request(mail.link);
    expect(inApp.body).toContain('This link opened inside Instagram, not in your browser');
    expect(inApp.body).toContain('Open in browser');
    expect(inApp.body).toContain('id="copy-link"');
    expect(inApp.body).toContain(`value="${mail.link}"`);
    expect(inApp.body).toMatch(/action="\/login\/link\/approve"/);
    const desktop = await new Browser(LAPTOP_UA).request(mail.link);
    expect(desktop.body).not.toContain('copy-link');
    expect(desktop.body).not.toContain('opened inside');
  });

  it('speak the sign-in language: German words for a German page', async () => {
    const { linkid, rp } = shared;
    const { mail } = await startOnLaptop(linkid, rp, 'inapp-de@example.com');
    const inApp = await new Browser(INSTAGRAM_ANDROID).request(mail.link, { headers: { 'accept-language': 'de' } });
    expect(inApp.body).toContain('Dieser Link wurde in Instagram geöffnet');
    expect(inApp.body).toContain('Anmeldung auf dem anderen Gerät bestätigen');
  });
});

describe('a QR code of a fresh link, for the browser that started', () => {
  const shared = useSharedLinkid();

  it('is a new one-time link that signs in only there, never the same as the emailed one', async () => {
    const { linkid, rp } = shared;
    const { laptop, attempt, mail } = await startOnLaptop(linkid, rp, 'qr@example.com');
    const phone = new Browser(PHONE_UA);
    const qrPage = await phone.submit(await phone.request(mail.link), /\/login\/link\/qr$/);
    expect(qrPage.status, qrPage.body).toBe(200);
    expect(qrPage.body).toMatch(/<svg[^>]*viewBox/);
    const link = /<code>(http[^<]+\/login\/link\?token=[^<]+)<\/code>/.exec(qrPage.body)?.[1]?.replace(/&amp;/g, '&');
    expect(link).toBeDefined();
    const fresh = new URL(link!).searchParams.get('token')!;
    expect(fresh).not.toBe(mail.token);
    const stored = await linkid.store.loginTokens.findByHash(sha256(fresh));
    const first = await tokenOf(linkid, mail);
    expect(stored).toMatchObject({
      interactionUid: first?.interactionUid,
      bindingHash: first?.bindingHash,
      expiresAt: first?.expiresAt,
      createdAt: first?.createdAt,
    });
    expect(JSON.stringify(await linkid.store.loginTokens.listPending(first!.interactionUid, linkid.clock.now()))).not.toContain(fresh);

    // Elsewhere, it is the other-browser page again; in the starting browser it confirms.
    expect((await new Browser().request(link!)).body).toContain('This link opened in a different browser');
    const confirmed = await confirmLink(laptop, { ...mail, link: link!, token: fresh });
    const callback = await finishAtApp(laptop, rp, confirmed);
    expect((await rp.redeem(callback, attempt)).claims()?.email).toBe('qr@example.com');
    expect(reasonOf(await laptop.request(link!))).toBe('token_used');
  });
});

describe('scanners on every new URL', () => {
  const shared = useSharedLinkid();

  it('GET and HEAD without cookies change nothing: no ask, no approval, no QR link, no finish', async () => {
    const { linkid, rp } = shared;
    const { laptop, page, mail } = await startOnLaptop(linkid, rp, 'scanned@example.com');
    const uidPath = /action="(\/interaction\/[^/"]+)\/approved"/.exec(page.body)?.[1];
    expect(uidPath).toBeDefined();
    const before = await tokenOf(linkid, mail);
    const urls = [
      mail.link,
      `/login/link/approve?token=${mail.token}`,
      `/login/link/approve/answer?token=${mail.token}&choice=42`,
      `/login/link/qr?token=${mail.token}`,
      `${uidPath}/approval`,
      `${uidPath}/approved`,
    ];
    for (const url of urls) {
      for (const method of ['GET', 'HEAD']) {
        const answer = await fetch(new URL(url, linkid.issuer), { method, redirect: 'manual' });
        expect(answer.status, `${method} ${url}`).toBeLessThan(500);
        await answer.arrayBuffer();
      }
    }
    // A scanner that presses the approve button but sends no Origin (no browser does that).
    const pressed = await fetch(new URL('/login/link/approve', linkid.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: mail.token }).toString(),
    });
    expect(pressed.status).toBe(403);
    expect(await tokenOf(linkid, mail)).toEqual(before);
    expect(await linkid.store.loginTokens.listPending(before!.interactionUid, linkid.clock.now())).toHaveLength(1);
    expect((await confirmLink(laptop, mail)).status).toBe(303);
  });

  it('a second sign-in mail of the same address reaches the right window (fresh tokens, separate numbers)', async () => {
    const { linkid, rp } = shared;
    const one = await startOnLaptop(linkid, rp, 'twice@example.com');
    const two = await startOnLaptop(linkid, rp, 'twice2@example.com');
    await askOnPhone(one.mail);
    expect((await statusOf(one.laptop, one.page)).state).toBe('asked');
    expect(await statusOf(two.laptop, two.page)).toEqual({ state: 'none' });
    expect(await latestSignInMail(linkid, 'twice@example.com')).toMatchObject({ token: one.mail.token });
  });
});
