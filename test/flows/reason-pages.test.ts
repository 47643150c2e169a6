// Every reason page has one main action that works where the page is shown, and its words agree
// with it (issue 27). One row per reason code in REASONS, each with the situations that show it:
// the page is produced over HTTP as a person meets it, its main action is pressed as a browser
// would (a link followed, a form posted), and where that leads must be neither a dead end (404,
// 500) nor another reason page, except where the row says so on purpose and why. A page with no
// action says why in its row. A reason added to REASONS without a row fails this file.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import en from '../../views/locales/en.json' with { type: 'json' };
import { REASONS, type Reason } from '../../src/kernel/reasons.js';
import { sha256 } from '../../src/kernel/token-crypto.js';
import type { Store } from '../../src/store/port.js';
import { openAccount } from '../support/account.js';
import { Browser, formOn, type Page } from '../support/browser.js';
import { askToChange, latestChangeMail, pressLink } from '../support/email-change.js';
import { createUser, makeRecoveryCodes } from '../support/factories.js';
import { fakeClock, type FakeClock } from '../support/fake-clock.js';
import type { RunningLinkid, StartOptions } from '../support/linkid.js';
import { latestSignInMail } from '../support/outbox.js';
import { oidc, RelyingParty } from '../support/relying-party.js';
import { confirmLink, reasonOf, requestLink, signIn } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const MINUTE = 60_000;
const APP = 'Notes';

/** The app itself: its home and its callback answer 200, so "Back to Notes" can be pressed. */
let appServer: http.Server;
let appOrigin = '';
beforeAll(async () => {
  appServer = http.createServer((_request, response) => response.end('the app'));
  await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve));
  appOrigin = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => appServer.close(() => resolve())));

const suite = useLinkid();

interface World {
  readonly linkid: RunningLinkid;
  readonly rp: RelyingParty;
  readonly clock: FakeClock;
}

async function world(options: StartOptions = {}): Promise<World> {
  const clock = fakeClock();
  const { linkid, rp } = await suite.setup({ clock, ...options }, { name: APP, firstParty: true, redirectUris: [`${appOrigin}/callback`] });
  return { linkid, rp, clock };
}

/** What a row expects of the page's main action. */
type Action =
  /** A link with these words, that leads somewhere that works. */
  | { readonly link: string; readonly leadsTo?: Reason; readonly why?: string }
  /** A button with these words (a form POST of hidden fields). */
  | { readonly button: string; readonly leadsTo?: Reason; readonly why?: string }
  /** The refusal is shown on the form it concerns: that form, posted again with `fields`. */
  | { readonly form: RegExp; readonly fields: Record<string, string>; readonly leadsTo?: Reason; readonly why?: string }
  /** No action: the next step is not on this page (`why`). */
  | { readonly none: string };

interface Shown {
  /** The page that shows the reason (as a person meets it). */
  readonly page: Page;
  /** The browser it was shown in. */
  readonly browser: Browser;
  /** Done between reading the page and pressing its action (the wait it asks for). */
  readonly beforePress?: () => void | Promise<void>;
  /** Fields for the inline form, known only once the page is shown (a code from the email). */
  readonly fields?: Record<string, string>;
}

interface Case {
  readonly situation: string;
  readonly show: () => Promise<Shown>;
  readonly action: Action;
  /** Words the page must say (its next step agreeing with the action), besides the action's own. */
  readonly says?: string;
  /** Words it must not say (a step it does not offer). */
  readonly saysNot?: string;
  /** A refusal shown on its form rather than as a reason page: the words it shows there. */
  readonly inline?: string;
}

const words = (key: keyof typeof en, values: Record<string, string> = {}) =>
  (en[key] as string).replace(/\{(\w+)\}/g, (_whole, name: string) => values[name] ?? `{${name}}`);
const backToApp = words('error.backToApp', { app: APP });
const tryAgain = words('error.tryAgain');

/** A sign-in at "check your email" in a fresh browser. */
async function pending({ linkid, rp }: World, email = 'ada@example.com') {
  const browser = new Browser();
  const { page, mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), email);
  return { browser, page, mail };
}

/** A wrong but well-formed value. */
const wrongCode = (code: string) => (code === '000000' ? '111111' : '000000');

const ROWS: Record<Reason, readonly Case[]> = {
  token_unknown: [
    {
      situation: 'a link that names no sign-in',
      show: async () => {
        const { linkid } = await world();
        const browser = new Browser();
        return { browser, page: await browser.request(`${linkid.issuer}/login/link?token=${'A'.repeat(43)}`) };
      },
      action: { none: 'nothing names the app; the next step is the whole link from the email, as the page says' },
    },
  ],
  token_used: [
    {
      situation: 'a used link whose sign-in still waits',
      show: async () => {
        const w = await world();
        const { browser, mail } = await pending(w);
        // Used elsewhere (a scanner holding cookies) while this sign-in still waits for a login.
        await w.linkid.store.loginTokens.consume(sha256(mail.token), w.clock.now());
        return { browser, page: await browser.request(mail.link) };
      },
      action: { button: words('error.renewLink') },
      says: words('error.renewNext'),
    },
    {
      situation: 'a link whose sign-in already finished',
      show: async () => {
        const w = await world();
        const browser = new Browser();
        const { mail } = await signIn(browser, w.linkid, w.rp, 'ada@example.com');
        return { browser, page: await browser.request(mail.link) };
      },
      action: { link: backToApp },
      says: words('error.signInOver'),
      saysNot: words('error.renewLink'),
    },
  ],
  token_expired: [
    {
      situation: 'an expired link whose sign-in still waits',
      show: async () => {
        const w = await world();
        const { browser, mail } = await pending(w);
        w.clock.advance(11 * MINUTE);
        return { browser, page: await browser.request(mail.link) };
      },
      action: { button: words('error.renewLink') },
      says: words('error.renewNext'),
    },
    {
      situation: 'an expired link of a sign-in that finished with a newer link',
      show: async () => {
        const w = await world();
        const { browser, mail: first } = await pending(w);
        w.clock.advance(11 * MINUTE);
        // A new link for the same sign-in (the renew button), and the sign-in finished with it.
        expect((await browser.submit(await browser.request(first.link), /\/login\/link\/renew$/)).status).toBe(200);
        expect((await confirmLink(browser, await latestSignInMail(w.linkid, 'ada@example.com'))).status).toBe(303);
        return { browser, page: await browser.request(first.link) };
      },
      action: { link: backToApp },
      says: words('error.signInOver'),
      saysNot: words('error.renewLink'),
    },
  ],
  browser_mismatch: [
    {
      situation: '"Continue" pressed in the starting window after its binding cookie was cleared',
      show: async () => {
        const w = await world();
        const { browser, page } = await pending(w);
        const cleared = await withoutBinding(browser, w.linkid.issuer);
        return { browser: cleared, page: await cleared.submit(page, /\/approved$/) };
      },
      action: { link: backToApp },
    },
  ],
  code_invalid: [
    {
      situation: 'a wrong code typed in the starting window',
      show: async () => {
        const w = await world();
        const { browser, page, mail } = await pending(w);
        const refused = await browser.submit(page, /\/code$/, { code: wrongCode(mail.code) });
        return { browser, page: refused, fields: { code: mail.code } };
      },
      inline: en['reason.code_invalid.title'],
      action: { form: /\/code$/, fields: {} },
    },
  ],
  code_locked: [
    {
      situation: 'the code typed wrong until it stops working',
      show: async () => {
        const w = await world({ env: { CODE_MAX_ATTEMPTS: '2' } });
        const { browser, page, mail } = await pending(w);
        let refused = page;
        for (let i = 0; i < 3; i += 1) refused = await browser.submit(page, /\/code$/, { code: wrongCode(mail.code) });
        // Its words: "Use the link in the email instead, or ask for a new email": the resend button on this page.
        w.clock.advance(MINUTE);
        return { browser, page: refused };
      },
      inline: en['reason.code_locked.title'],
      action: {
        form: /\/login$/,
        fields: {},
        leadsTo: 'rate_limited',
        why: 'the resend cooldown counts real time, which the fake clock does not move: pressed at once, the page says how long to wait (the button counts it down)',
      },
    },
  ],
  code_expired: [
    {
      situation: 'a code typed after every link of the sign-in expired',
      show: async () => {
        const w = await world();
        const { browser, page, mail } = await pending(w);
        w.clock.advance(11 * MINUTE);
        return { browser, page: await browser.submit(page, /\/code$/, { code: mail.code }) };
      },
      inline: en['reason.code_expired.title'],
      // "Ask for a new email": the resend button on the same page.
      action: {
        form: /\/login$/,
        fields: {},
        leadsTo: 'rate_limited',
        why: 'the resend cooldown counts real time, which the fake clock does not move: pressed at once, the page says how long to wait; a person meets this page 10 minutes on, long past it',
      },
    },
  ],
  rate_limited: [
    {
      situation: 'too many emails asked for one address from one IP',
      show: async () => {
        const w = await world({ env: { RATE_LIMIT_SEND_PER_IP_EMAIL: '1/10m' } });
        await pending(w, 'busy@example.com');
        const browser = new Browser();
        const form = await browser.follow((await w.rp.authorizationUrl()).url);
        const page = await browser.submit(form, /\/login$/, { email: 'busy@example.com' });
        const wait = Number(page.headers.get('retry-after'));
        expect(page.body).toContain(`Wait ${wait} seconds`);
        return { browser, page, beforePress: () => w.clock.advance(wait * 1000) };
      },
      // The email form again, once the wait is over.
      action: { link: tryAgain },
    },
    {
      situation: 'a used link renewed too often',
      show: async () => {
        const w = await world({ env: { RATE_LIMIT_SEND_PER_IP_EMAIL: '1/10m' } });
        const { browser, mail } = await pending(w);
        await w.linkid.store.loginTokens.consume(sha256(mail.token), w.clock.now());
        const used = await browser.request(mail.link);
        const page = await browser.submit(used, /\/login\/link\/renew$/);
        const wait = Number(page.headers.get('retry-after'));
        return { browser, page, beforePress: () => w.clock.advance(wait * 1000) };
      },
      action: {
        button: words('error.renewLink'),
        leadsTo: 'rate_limited',
        why: 'the send limits count real time, which the fake clock does not move: pressed at once, the same button is offered again with the wait',
      },
    },
  ],
  signup_closed: [
    {
      situation: "the app's sign-up closed between the email and the click",
      show: async () => {
        const w = await world();
        const { browser, mail } = await pending(w, 'newcomer@example.com');
        await w.linkid.updateClient(w.rp.client.client_id, { signup: 'closed' });
        return { browser, page: await confirmLink(browser, mail) };
      },
      action: { link: backToApp },
    },
  ],
  account_disabled: [
    {
      situation: 'an account disabled by an administrator signs in',
      show: async () => {
        const w = await world();
        const user = await createUser(w.linkid, 'ada@example.com');
        await w.linkid.services.admin.users.disable(user.id);
        // The form, "check your email" and the email are those of any address.
        const { browser, mail } = await pending(w);
        return { browser, page: await confirmLink(browser, mail) };
      },
      action: { link: backToApp },
    },
  ],
  recovery_invalid: [
    {
      situation: 'a recovery code that does not work',
      show: async () => {
        const w = await world();
        const browser = new Browser();
        const form = await browser.follow((await w.rp.authorizationUrl()).url);
        const recovery = await browser.follow(formOn(form, /\/login$/).action.replace(/\/login$/, '/recover'));
        return { browser, page: await browser.submit(recovery, /\/recover$/, { email: 'ada@example.com', code: '7k2m-q9xe-4hzt' }) };
      },
      action: { link: en['recovery.tryAgain'] },
    },
  ],
  recovery_malformed: [
    {
      situation: 'something not shaped like a recovery code',
      show: async () => {
        const w = await world();
        const user = await createUser(w.linkid, 'ada@example.com');
        const [code] = await makeRecoveryCodes(w.linkid, user.id);
        const browser = new Browser();
        const form = await browser.follow((await w.rp.authorizationUrl()).url);
        const recovery = await browser.follow(formOn(form, /\/login$/).action.replace(/\/login$/, '/recover'));
        const page = await browser.submit(recovery, /\/recover$/, { email: 'ada@example.com', code: 'nope' });
        return { browser, page, fields: { email: 'ada@example.com', code: code! } };
      },
      inline: en['reason.recovery_malformed.title'],
      action: { form: /\/recover$/, fields: {} },
    },
  ],
  origin_mismatch: [
    {
      situation: "a form posted from another site (the person's browser made to do it)",
      show: async () => {
        const w = await world();
        const browser = new Browser();
        const form = await browser.follow((await w.rp.authorizationUrl()).url);
        const { action } = formOn(form, /\/login$/);
        return { browser, page: await browser.request(action, { form: { email: 'ada@example.com' }, headers: { origin: 'https://evil.example' } }) };
      },
      action: { none: 'the request came from another site: nothing was done, and the page of this site the person meant is theirs to go back to' },
    },
  ],
  approval_mismatch: [
    {
      situation: 'the wrong number typed when approving from another browser',
      show: async () => {
        const w = await world();
        const { browser, page, mail } = await pending(w);
        const phone = new Browser();
        const numbers = await askToApprove(phone, mail.link);
        // The number the starting window shows (what its script polls), and another one typed.
        const status = await browser.request(new URL(/data-url="([^"]+\/approval)"/.exec(page.body)![1]!, page.url).href, { api: true });
        const { number } = JSON.parse(status.body) as { number: number };
        return { browser: phone, page: await phone.submit(numbers, /\/approve\/answer$/, { number: String(number === 42 ? 43 : 42), choice: 'approve' }) };
      },
      action: { link: backToApp },
    },
  ],
  approval_invalid: [
    {
      situation: 'an approval whose number is not two digits',
      show: async () => {
        const w = await world();
        const { mail } = await pending(w);
        const phone = new Browser();
        const numbers = await askToApprove(phone, mail.link);
        return { browser: phone, page: await phone.submit(numbers, /\/approve\/answer$/, { number: 'x', choice: 'approve' }) };
      },
      // The link's own page again: approving from there starts afresh.
      action: { link: words('error.openLinkAgain') },
    },
  ],
  interaction_mismatch: [
    {
      // Not something a person can do: the confirm page always posts to its own link's sign-in.
      // Produced over HTTP with a tampered form: sign-in A's link posted to sign-in B's confirm path.
      situation: "one sign-in's link posted to another sign-in's confirm path",
      show: async () => {
        const w = await world();
        const { browser, mail: first } = await pending(w);
        w.clock.advance(MINUTE); // the outbox orders mails by the time they were written
        const other = await requestLink(browser, w.linkid, await w.rp.authorizationUrl(), 'ada@example.com');
        const second = other.mail;
        const confirm = await browser.request(second.link);
        const { action } = formOn(confirm, /\/verify$/);
        return { browser, page: await browser.request(action, { form: { token: first.token } }) };
      },
      action: { link: words('error.openLinkAgain') },
    },
  ],
  interaction_expired: [
    {
      situation: 'a renewal pressed after the sign-in finished in another tab',
      show: async () => {
        const w = await world();
        const { browser, mail } = await pending(w);
        await w.linkid.store.loginTokens.consume(sha256(mail.token), w.clock.now());
        const used = await browser.request(mail.link);
        expect(mainActionOn(used)?.words).toBe(words('error.renewLink'));
        w.clock.advance(MINUTE); // the outbox orders mails by the time they were written
        // Meanwhile, in another tab, the same button got a new link, and the sign-in finished with it.
        expect((await browser.submit(used, /\/login\/link\/renew$/)).status).toBe(200);
        expect((await confirmLink(browser, await latestSignInMail(w.linkid, 'ada@example.com'))).status).toBe(303);
        return { browser, page: await browser.submit(used, /\/login\/link\/renew$/) };
      },
      action: { link: backToApp },
    },
    {
      situation: 'a sign-in page opened after its sign-in is gone',
      show: async () => {
        const w = await world();
        const browser = new Browser();
        return { browser, page: await browser.request(`${w.linkid.issuer}/interaction/gone-long-ago`) };
      },
      action: { none: 'the sign-in, and with it which app asked, is gone; the words send the person back to the app' },
    },
  ],
  sign_in_cancelled: [
    {
      situation: '"This wasn\'t me" pressed in the email, then the starting window asks for another email',
      show: async () => {
        const w = await world();
        const { browser, page, mail } = await pending(w);
        const owner = new Browser();
        const cancel = await owner.request(mail.link.replace('/login/link?', '/login/cancel?'));
        expect((await owner.submit(cancel, /\/login\/cancel$/)).status).toBe(200);
        w.clock.advance(MINUTE);
        return { browser, page: await browser.submit(page, /\/login$/) };
      },
      // Through the authorization, so the app hears access_denied, and on to the app.
      action: { link: backToApp },
    },
  ],
  sign_in_unfinished: [
    {
      situation: "the account page's own sign-in cancelled on its email form",
      show: async () => {
        const w = await world();
        const browser = new Browser();
        const form = await browser.follow(`${w.linkid.issuer}/account`);
        return { browser, page: await browser.submit(form, /\/abort$/) };
      },
      action: { link: en['account.tryAgain'] },
    },
  ],
  confirmation_mismatch: [
    {
      situation: '"Delete my account" with another address typed',
      show: async () => {
        const w = await world();
        await createUser(w.linkid, 'ada@example.com');
        const browser = new Browser();
        const form = await openAccount(browser, w.linkid, 'ada@example.com', '/account/delete');
        return { browser, page: await browser.submit(form, /\/account\/delete$/, { email: 'someone@example.com' }) };
      },
      action: { link: en['account.tryAgain'] },
    },
  ],
  invalid_email: [
    {
      situation: 'half an address typed on the email form',
      show: async () => {
        const w = await world();
        const browser = new Browser();
        const form = await browser.follow((await w.rp.authorizationUrl()).url);
        return { browser, page: await browser.submit(form, /\/login$/, { email: 'ada@' }), fields: { email: 'ada@example.com' } };
      },
      inline: en['reason.invalid_email.next'],
      action: { form: /\/login$/, fields: {} },
    },
  ],
  change_link_unknown: [
    {
      situation: 'a change-email link that names no change',
      show: async () => {
        const w = await world();
        const browser = new Browser();
        return { browser, page: await browser.request(`${w.linkid.issuer}/account/email/confirm?token=${'A'.repeat(43)}`) };
      },
      action: { link: en['emailChange.backToAccount'] },
    },
  ],
  change_link_used: [
    {
      situation: 'a change-email link pressed again after the change',
      show: async () => {
        const w = await world();
        const browser = await accountOf(w);
        await askToChange(browser, w.linkid, 'new@example.com');
        const mail = await latestChangeMail(w.linkid, 'new@example.com', 'confirm');
        expect((await pressLink(browser, mail)).status).toBe(200);
        return { browser, page: await browser.request(mail.link) };
      },
      action: { link: en['emailChange.backToAccount'] },
    },
  ],
  change_link_expired: [
    {
      situation: 'a change-email link opened after 10 minutes',
      show: async () => {
        const w = await world();
        const browser = await accountOf(w);
        await askToChange(browser, w.linkid, 'new@example.com');
        const mail = await latestChangeMail(w.linkid, 'new@example.com', 'confirm');
        w.clock.advance(11 * MINUTE);
        return { browser, page: await browser.request(mail.link) };
      },
      action: { link: en['emailChange.backToAccount'] },
    },
  ],
  change_browser_mismatch: [
    {
      situation: 'a change-email link pressed in another browser',
      show: async () => {
        const w = await world();
        const browser = await accountOf(w);
        await askToChange(browser, w.linkid, 'new@example.com');
        const mail = await latestChangeMail(w.linkid, 'new@example.com', 'confirm');
        const other = new Browser();
        const opened = await other.request(mail.link);
        const page = reasonOf(opened) ? opened : await other.submit(opened, /\/account\/email\/confirm$/);
        return { browser: other, page };
      },
      action: { none: 'the link works only in the browser that asked for the change, as the page says; nothing here can help' },
    },
  ],
  email_taken: [
    {
      situation: 'the new address taken by another account before the link was pressed',
      show: async () => {
        const w = await world();
        const browser = await accountOf(w);
        await askToChange(browser, w.linkid, 'new@example.com');
        const mail = await latestChangeMail(w.linkid, 'new@example.com', 'confirm');
        await createUser(w.linkid, 'new@example.com');
        return { browser, page: await browser.request(mail.link) };
      },
      action: { link: en['emailChange.backToAccount'] },
    },
  ],
  email_unchanged: [
    {
      situation: "the account's own address typed as the new one",
      show: async () => {
        const w = await world();
        const browser = await accountOf(w);
        return { browser, page: await askToChange(browser, w.linkid, 'ada@example.com'), fields: { email: 'new@example.com' } };
      },
      inline: en['reason.email_unchanged.message'],
      action: { form: /\/account\/email$/, fields: {} },
    },
  ],
  invalid_request: [
    {
      situation: 'a /device form posted with a one-time value that is no longer good (a forged or stale form)',
      show: async () => {
        const w = await world();
        const browser = new Browser();
        const page = await browser.request(`${w.linkid.issuer}/device`);
        return { browser, page: await browser.submit(page, /\/device$/, { user_code: 'BCDF-GHJK', xsrf: 'stale' }) };
      },
      action: { link: en['device.tryAgain'] },
    },
  ],
  not_found: [
    {
      situation: 'an address with nothing at it',
      show: async () => {
        const w = await world();
        const browser = new Browser();
        return { browser, page: await browser.request(`${w.linkid.issuer}/no/such/page`) };
      },
      action: { none: 'nothing names the app the person came from; the words say to check the address or go back to it' },
    },
  ],
  store_unavailable: [
    {
      situation: 'a link opened while the store cannot be reached',
      show: async () => {
        const fault = storeFault();
        const w = await world({ wrapStore: fault.wrap });
        const { browser, mail } = await pending(w);
        fault.fail(fault.unavailable);
        const page = await browser.request(mail.link);
        return { browser, page, beforePress: () => fault.fail(undefined) };
      },
      // Reloads the page once the store is back.
      action: { link: tryAgain },
    },
  ],
  server_error: [
    {
      // Not something a person can cause: a 500 is a fault of linkid's. Produced over HTTP by a
      // store that throws something it does not recognise as being unreachable.
      situation: 'a link opened while linkid fails unexpectedly',
      show: async () => {
        const fault = storeFault();
        const w = await world({ wrapStore: fault.wrap });
        const { browser, mail } = await pending(w);
        fault.fail(new Error('something unexpected'));
        const page = await browser.request(mail.link);
        return { browser, page, beforePress: () => fault.fail(undefined) };
      },
      action: { link: tryAgain },
    },
  ],
  host_mismatch: [
    {
      situation: 'linkid reached under a name that is not its own',
      show: async () => {
        const w = await world();
        return { browser: new Browser(), page: await requestWithHost(w.linkid, 'evil.example') };
      },
      action: { none: "the page is served under a name that is not linkid's, so it links nowhere; the words send the person back to the app" },
    },
  ],
  device_code_unknown: [
    {
      situation: 'a device code that no device is waiting with',
      show: async () => {
        const w = await world();
        const browser = new Browser();
        return { browser, page: await typeDeviceCode(browser, w.linkid, 'BCDF-GHJK') };
      },
      action: { link: en['device.tryAgain'] },
    },
  ],
  device_code_malformed: [
    {
      situation: 'something not shaped like a device code',
      show: async () => {
        const w = await world();
        const browser = new Browser();
        return { browser, page: await typeDeviceCode(browser, w.linkid, '12') };
      },
      action: { link: en['device.tryAgain'] },
    },
  ],
  device_code_expired: [
    {
      situation: "a device's code typed after its 10 minutes",
      show: async () => {
        const w = await world();
        const device = await deviceApp(w);
        w.clock.advance(11 * MINUTE);
        const browser = new Browser();
        return { browser, page: await typeDeviceCode(browser, w.linkid, device.user_code) };
      },
      action: { link: words('device.typeNewCode') },
    },
  ],
  device_code_used: [
    {
      situation: "a device's code typed again after it was approved",
      show: async () => {
        const w = await world();
        const device = await deviceApp(w);
        const browser = new Browser();
        const emailForm = await typeDeviceCode(browser, w.linkid, device.user_code);
        const checkEmail = await browser.submit(emailForm, /\/login$/, { email: 'ada@example.com' });
        expect(checkEmail.status).toBe(200);
        const approval = await browser.follow((await confirmLink(browser, await latestSignInMail(w.linkid, 'ada@example.com'))).location!);
        expect((await browser.submit(approval, /\/consent$/, { decision: 'allow' })).status).toBe(200);
        return { browser, page: await typeDeviceCode(browser, w.linkid, device.user_code) };
      },
      action: { link: words('device.typeNewCode') },
    },
  ],
  admin_only: [
    {
      situation: 'someone signed in whose address is not in ADMIN_EMAILS opens the admin console',
      show: async () => {
        const w = await world({ env: { ADMIN_EMAILS: 'root@example.org' } });
        await createUser(w.linkid, 'ada@example.com');
        const browser = new Browser();
        return { browser, page: await openAccount(browser, w.linkid, 'ada@example.com', '/admin') };
      },
      action: { link: en['admin.toAccount'] },
    },
  ],
  admin_invalid_field: [
    {
      situation: 'an admin console form sent with a field that is not right (shown on the form, the field named)',
      show: async () => {
        const w = await world({ env: { ADMIN_EMAILS: 'ada@example.com' } });
        const browser = new Browser();
        await openAccount(browser, w.linkid, 'ada@example.com', '/admin/apps/new');
        return {
          browser,
          page: await browser.request(`${w.linkid.issuer}/admin/apps`, { form: { name: 'Wiki', redirect_uris: 'http://wiki.example.com/cb' } }),
        };
      },
      inline: en['admin.problem.heading'],
      action: { form: /\/admin\/apps$/, fields: { name: 'Wiki', redirect_uris: 'https://wiki.example.com/cb' } },
    },
  ],
};

// ---- the helpers the rows use ----------------------------------------------------------------

/** A signed-in account page for ada@example.com, in a fresh browser. */
async function accountOf(w: World): Promise<Browser> {
  await createUser(w.linkid, 'ada@example.com');
  const browser = new Browser();
  const page = await openAccount(browser, w.linkid, 'ada@example.com', '/account/email');
  expect(page.url).toBe(`${w.linkid.issuer}/account/email`);
  return browser;
}

/** The link opened in another browser and "approve from here" pressed: the page to type the number on. */
async function askToApprove(phone: Browser, link: string): Promise<Page> {
  const opened = await phone.request(link);
  expect(opened.status, opened.body).toBe(200);
  return phone.submit(opened, /\/login\/link\/approve$/);
}

/** `browser` without its binding cookie (the person cleared it), the interaction's own cookies kept. */
async function withoutBinding(browser: Browser, issuer: string): Promise<Browser> {
  const kept = new Browser();
  for (const cookie of await browser.jar.getCookies(issuer, { allPaths: true })) {
    if (cookie.key !== 'linkid-binding') await kept.jar.setCookie(cookie, issuer);
  }
  return kept;
}

/** A store whose every look-up of a login token fails with `error` until told otherwise. */
function storeFault() {
  const unavailable = new Error('the store cannot be reached');
  let failWith: Error | undefined;
  return {
    unavailable,
    fail: (error: Error | undefined) => {
      failWith = error;
    },
    wrap: (store: Store): Store => ({
      ...store,
      failureKind: (error: unknown) => (error === unavailable ? 'unreachable' : store.failureKind(error)),
      loginTokens: {
        ...store.loginTokens,
        findByHash: async (hash: string) => {
          if (failWith) throw failWith;
          return store.loginTokens.findByHash(hash);
        },
      },
    }),
  };
}

/** A request with exactly this Host header (fetch cannot set one). */
function requestWithHost(linkid: RunningLinkid, host: string): Promise<Page> {
  const url = new URL('/interaction/x', linkid.issuer);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host, accept: 'text/html' } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, url: url.href, location: undefined, body, headers: new Headers() }));
    });
    request.on('error', reject);
    request.end();
  });
}

/** A TV app's device authorization: its user code. */
async function deviceApp(w: World) {
  const client = await w.linkid.createClient({ name: 'Living-room TV', redirectUris: [], deviceFlow: true, isPublic: true });
  const tv = await RelyingParty.discover(w.linkid.issuer, client);
  return oidc.initiateDeviceAuthorization(tv.config, { scope: 'openid email' });
}

/** The /device form, with `typed` posted. */
async function typeDeviceCode(browser: Browser, linkid: RunningLinkid, typed: string): Promise<Page> {
  const page = await browser.request(`${linkid.issuer}/device`);
  return browser.submit(page, /\/device$/, { user_code: typed });
}

// ---- the table, walked -------------------------------------------------------------------------

/** The page's main action as error.eta draws it: a link or a button, with its words. */
function mainActionOn(page: Page): { kind: 'link' | 'button'; words: string; url: string } | undefined {
  const main = /<main>([\s\S]*)<\/main>/.exec(page.body)?.[1] ?? page.body;
  const form = /<form method="post" action="([^"]+)">[\s\S]*?<button type="submit">([^<]+)<\/button>/.exec(main);
  if (form) return { kind: 'button', words: decode(form[2]!), url: new URL(decode(form[1]!), page.url).href };
  const link = /<p><a href="([^"]+)">([^<]+)<\/a><\/p>/.exec(main);
  if (link) return { kind: 'link', words: decode(link[2]!), url: new URL(decode(link[1]!), page.url).href };
  return undefined;
}

const decode = (text: string) =>
  text
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');

/** Where pressing leads, redirects followed (the app's own pages included). */
async function press(browser: Browser, shown: Shown, action: Exclude<Action, { none: string }>): Promise<Page> {
  if ('form' in action) return browser.submit(shown.page, action.form, { ...action.fields, ...shown.fields });
  const found = mainActionOn(shown.page);
  expect(found, shown.page.body).toBeDefined();
  if ('button' in action) {
    expect(found!.kind).toBe('button');
    expect(found!.words).toBe(action.button);
    return browser.submit(shown.page, new RegExp(`${escapeRegExp(new URL(found!.url).pathname)}$`));
  }
  expect(found!.kind).toBe('link');
  expect(found!.words).toBe(action.link);
  return browser.follow(found!.url);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('every reason page has one main action that works, and words that agree with it', () => {
  it('has a row for every reason code in REASONS', () => {
    expect(Object.keys(ROWS).sort()).toEqual(Object.keys(REASONS).sort());
  });

  for (const [reason, cases] of Object.entries(ROWS) as [Reason, readonly Case[]][]) {
    for (const row of cases) {
      it(`${reason}: ${row.situation}`, async () => {
        const shown = await row.show();
        const { page } = shown;
        expect(page.status, page.body).toBe(REASONS[reason].status);
        if (row.inline) {
          expect(page.body).toContain(decodeForHtml(row.inline));
        } else {
          expect(reasonOf(page), page.body).toBe(reason);
        }
        if (row.says) expect(decode(page.body)).toContain(row.says);
        if (row.saysNot) expect(decode(page.body)).not.toContain(row.saysNot);
        if ('none' in row.action) {
          // One main action or none: no button and no link on a page that has nothing to offer.
          expect(mainActionOn(page), `${reason} offers an action though its row says none: ${row.action.none}`).toBeUndefined();
          return;
        }
        if (!('form' in row.action)) expect(row.inline, 'an inline refusal is pressed through its form').toBeUndefined();
        await shown.beforePress?.();
        const landed = await press(shown.browser, shown, row.action);
        const onPurpose = 'leadsTo' in row.action ? row.action.leadsTo : undefined;
        expect([404, 500], `${reason}'s action led to ${landed.url}: ${landed.status}\n${landed.body.slice(0, 1500)}`).not.toContain(landed.status);
        expect(reasonOf(landed), `${reason}'s action led to another reason page at ${landed.url}:\n${landed.body.slice(0, 1500)}`).toBe(onPurpose);
      });
    }
  }
});

/** Words as a page writes them (apostrophes and quotes escaped). */
const decodeForHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
