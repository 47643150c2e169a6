// A used link says what happened and offers one button that mails a fresh link for the same
// sign-in, as long as that sign-in is still waiting; once it has finished, a renew mails nothing.
import { describe, expect, it } from 'vitest';
import { Browser, formOn } from '../support/browser.js';
import { latestSignInMail, mailsTo } from '../support/outbox.js';
import { confirmLink, finishAtApp, reasonOf, requestLink, signIn } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const { setup } = useLinkid();

describe('used links', () => {
  it('say what happened and offer one button that mails a fresh link for the same sign-in', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const attempt = await rp.authorizationUrl();
    const { mail } = await requestLink(browser, linkid, attempt, 'twice@example.com');
    const confirmPage = await browser.request(mail.link);

    // Someone (a scanner with cookies, or the user in another tab) used the link; the sign-in here
    // has not finished, so a fresh link for it is offered.
    await linkid.store.loginTokens.consume((await import('../../src/kernel/token-crypto.js')).sha256(mail.token), Date.now());
    const used = await browser.request(mail.link);
    expect(used.status).toBe(410);
    expect(reasonOf(used)).toBe('token_used');
    const renewed = await browser.submit(used, /\/login\/link\/renew$/);
    expect(renewed.status).toBe(200);
    expect(renewed.body).toContain('A new sign-in email is on its way');

    const fresh = await latestSignInMail(linkid, 'twice@example.com');
    expect(fresh.token).not.toBe(mail.token);
    expect(formOn(confirmPage, /\/verify$/).action).toContain('/interaction/');
    const callback = await finishAtApp(browser, rp, await confirmLink(browser, fresh));
    await rp.redeem(callback, attempt);
  });

  it('a link of a finished sign-in says so and offers the way back to the app, and a renew for it mails nothing', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { mail } = await signIn(browser, linkid, rp, 'finished@example.com');
    const used = await browser.request(mail.link);
    expect(reasonOf(used)).toBe('token_used');
    expect(used.body).toContain('Its sign-in is already over');
    expect(used.body).toContain('>Back to Notes</a>');
    expect(used.body).not.toContain('/login/link/renew');
    // A renew posted anyway (a page kept open from before the sign-in finished) mails nothing.
    const renewed = await browser.request(`${linkid.issuer}/login/link/renew`, { form: { token: mail.token } });
    expect(renewed.status).toBe(410);
    expect(reasonOf(renewed)).toBe('interaction_expired');
    expect(await mailsTo(linkid, 'finished@example.com')).toHaveLength(1);
  });
});
