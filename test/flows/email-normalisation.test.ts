// One mailbox, one account, through the sign-in form: the address typed is made canonical once,
// and the mail goes to exactly the address whose account the link signs in. Look-alikes that a
// case mapping would fold into someone else's address (the Kelvin sign K, U+212A, becomes k under
// toLowerCase()) are refused, as in the 2019 password-reset takeovers by Unicode case mapping.
import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import type { RunningLinkid } from '../support/linkid.js';
import { parseSignInMail, settledOutbox } from '../support/outbox.js';
import { oidc, type RelyingParty } from '../support/relying-party.js';
import { confirmLink, finishAtApp } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const { setup } = useLinkid();

/**
 * Types `email` on the app's login form in a fresh browser, then opens, in that browser, every mail
 * linkid sent because of it and signs in with it. Returns the form's answer and, for each mail, its
 * recipient and the account (sub) its link signed in; mails that say the address cannot sign in
 * are listed by recipient.
 */
async function typeAndFollow(linkid: RunningLinkid, rp: RelyingParty, email: string) {
  const before = (await settledOutbox(linkid)).length;
  const browser = new Browser();
  const attempt = await rp.authorizationUrl();
  const page = await browser.submit(await browser.follow(attempt.url), /\/login$/, { email });
  const signedIn: { to: string; sub: string; email: unknown }[] = [];
  const refused: string[] = [];
  for (const message of (await settledOutbox(linkid)).slice(before)) {
    // An address that may not sign in is told so by mail, with nothing to follow.
    if (!message.text.includes('/login/link?token=')) {
      refused.push(message.to);
      continue;
    }
    const callback = await finishAtApp(browser, rp, await confirmLink(browser, parseSignInMail(message)));
    const tokens = await rp.redeem(callback, attempt);
    const sub = tokens.claims()!.sub;
    const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, sub);
    signedIn.push({ to: message.to, sub, email: userinfo.email });
  }
  return { page, signedIn, refused };
}

describe('one mailbox, one account', () => {
  it.each([
    ['the Kelvin sign K (U+212A)', '\u212Aarl@example.com'],
    ['fullwidth letters', 'ｋａｒｌ@example.com'],
    ['a zero-width joiner', 'ka\u200Drl@example.com'],
    ['a soft hyphen', 'karl\u00AD@example.com'],
    ['a Cyrillic а', 'k\u0430rl@example.com'],
  ])("puts no link into karl@example.com's account in a mail for a look-alike with %s", async (_what, lookalike) => {
    const { linkid, rp } = await setup();
    const karl = await typeAndFollow(linkid, rp, 'karl@example.com');
    expect(karl.signedIn).toHaveLength(1);
    const karlSub = karl.signedIn[0]!.sub;

    const attack = await typeAndFollow(linkid, rp, lookalike);
    expect(attack.signedIn.map((entry) => entry.sub)).not.toContain(karlSub);
    // Refused on the form, as any address we would not send to: no mail at all.
    expect(attack.page.status).toBe(400);
    expect(attack.page.body).toContain('Type the full address');
    expect(attack.signedIn).toEqual([]);
  });

  it.each([
    ['the long s ſ (U+017F)', 'jame\u017F@example.com'],
    ['the dotless ı (U+0131)', 'adm\u0131n@example.com'],
  ])('refuses a look-alike that upper-cases into ASCII, %s, and sends nothing', async (_what, lookalike) => {
    const { linkid, rp } = await setup();
    const attack = await typeAndFollow(linkid, rp, lookalike);
    expect(attack.page.status).toBe(400);
    expect(attack.signedIn).toEqual([]);
  });

  it("signs KARL@Example.COM in to karl@example.com's account, mailing karl@example.com", async () => {
    const { linkid, rp } = await setup();
    const first = await typeAndFollow(linkid, rp, 'KARL@Example.COM');
    const second = await typeAndFollow(linkid, rp, 'karl@example.com');
    const third = await typeAndFollow(linkid, rp, '  Karl@EXAMPLE.com ');
    for (const { page, signedIn } of [first, second, third]) {
      expect(page.status).toBe(200);
      expect(page.body).toContain('karl@example.com');
      expect(signedIn).toHaveLength(1);
      expect(signedIn[0]).toEqual({ to: 'karl@example.com', sub: first.signedIn[0]!.sub, email: 'karl@example.com' });
    }
  });

  it('mails an IDN address in punycode, signs its forms in to one account, and allows it by an IDN allowlist', async () => {
    const { linkid, rp } = await setup({ env: { SIGNUP: 'allowlist', SIGNUP_ALLOWED_DOMAINS: 'bücher.example' } });
    const unicode = await typeAndFollow(linkid, rp, 'Anna@BÜCHER.example');
    const punycode = await typeAndFollow(linkid, rp, 'anna@xn--bcher-kva.example');
    expect(unicode.signedIn).toHaveLength(1);
    expect(unicode.signedIn[0]).toMatchObject({ to: 'anna@xn--bcher-kva.example', email: 'anna@xn--bcher-kva.example' });
    expect(punycode.signedIn).toEqual(unicode.signedIn);

    const elsewhere = await typeAndFollow(linkid, rp, 'anna@bucher.example');
    expect(elsewhere.page.status).toBe(200);
    expect(elsewhere.signedIn).toEqual([]);
    expect(elsewhere.refused).toEqual(['anna@bucher.example']);
  });
});
