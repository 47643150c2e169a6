// "This wasn't me" ends the sign-in for good: after the owner of the mailbox cancels, nothing
// from that sign-in can renew, resend, take a code or finish, in any browser; the window that
// started it says it was cancelled, and the app hears access_denied.
import { describe, expect, it } from 'vitest';
import { Browser, formOn, type Page } from '../support/browser.js';
import type { RunningLinkid } from '../support/linkid.js';
import { latestSignInMail, settledOutbox, type SignInMail } from '../support/outbox.js';
import { fakeClock } from '../support/fake-clock.js';
import { reasonOf, requestLink } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const { setup } = useLinkid();

async function cancelledSignIn(env: Record<string, string> = {}) {
  const { linkid, rp } = await setup({ env });
  const started = new Browser('the browser that asked');
  const { page, mail } = await requestLink(started, linkid, await rp.authorizationUrl(), 'target@example.com');
  const owner = new Browser('the mailbox owner');
  const cancelUrl = cancelLinkOf(mail);
  const confirmPage = await owner.request(cancelUrl);
  expect(confirmPage.status).toBe(200);
  const cancelled = await owner.submit(confirmPage, /\/login\/cancel$/);
  expect(cancelled.status).toBe(200);
  expect(cancelled.body).toContain('Sign-in cancelled');
  return { linkid, rp, started, page, mail, owner, cancelUrl };
}

const cancelLinkOf = (mail: SignInMail) => /(http\S+\/login\/cancel\?token=[\w-]{43})/.exec(mail.message.text)![1]!;
const mailCount = async (linkid: RunningLinkid) => (await settledOutbox(linkid)).length;

describe('"This wasn\'t me"', () => {
  it('leaves no renew, no resend and no code, and says so in plain words', async () => {
    const { linkid, started, page, mail, owner } = await cancelledSignIn();
    const mailsBefore = await mailCount(linkid);

    // The link: cancelled, and no button to mail a fresh one.
    for (const browser of [owner, started]) {
      const opened = await browser.request(mail.link);
      expect(opened.status).toBe(410);
      expect(reasonOf(opened)).toBe('sign_in_cancelled');
      expect(opened.body).not.toContain('/login/link/renew');
    }
    // A renew posted by hand all the same.
    const renew = await owner.request(`${new URL(mail.link).origin}/login/link/renew`, { form: { token: mail.token } });
    expect(reasonOf(renew)).toBe('sign_in_cancelled');

    // The window that started it: the right code, the resend button, the page itself.
    const code = await started.submit(page, /\/code$/, { code: mail.code }, 'http');
    expect(code.status).toBe(410);
    expect(reasonOf(code)).toBe('sign_in_cancelled');
    const resend = await started.submit(page, /\/login$/);
    expect(reasonOf(resend)).toBe('sign_in_cancelled');
    const again = await started.request(formOn(page, /\/code$/).action.replace(/\/code$/, ''));
    expect(reasonOf(again)).toBe('sign_in_cancelled');
    expect(again.body).toContain('This sign-in was cancelled');

    expect(await mailCount(linkid)).toBe(mailsBefore);
    expect(linkid.logs.join('')).toContain('"event":"login.cancelled"');
    expect(linkid.logs.join('')).not.toContain('"event":"login.completed"');
  });

  it('sends the app access_denied from the way back offered to the browser that asked', async () => {
    const { rp, started, page } = await cancelledSignIn();
    const cancelledPage = await started.request(formOn(page, /\/code$/).action.replace(/\/code$/, ''));
    const back = /<a href="([^"]+)">Back to [^<]+<\/a>/.exec(cancelledPage.body)?.[1];
    expect(back).toBeDefined();
    const landed = await started.follow(back!.replace(/&amp;/g, '&'), rp.redirectUri);
    const callback = new URL(landed.location!);
    expect(callback.href.startsWith(rp.redirectUri)).toBe(true);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('pressed twice, or opened again, ends in the same place', async () => {
    const { owner, cancelUrl } = await cancelledSignIn();
    const shown = await owner.request(cancelUrl);
    expect(shown.status).toBe(410);
    expect(reasonOf(shown)).toBe('sign_in_cancelled');
    const twice = await owner.request(`${new URL(cancelUrl).origin}/login/cancel`, { form: { token: new URL(cancelUrl).searchParams.get('token')! } });
    expect(twice.status).toBe(200);
    expect(twice.body).toContain('Sign-in cancelled');
  });

  it('works after the link has expired, while the sign-in could still ask for another', async () => {
    const clock = fakeClock();
    const { linkid, rp } = await setup({ clock });
    const started = new Browser();
    const { page, mail } = await requestLink(started, linkid, await rp.authorizationUrl(), 'late@example.com');
    clock.advance(11 * 60 * 1000);
    expect(reasonOf(await started.request(mail.link))).toBe('token_expired');
    const owner = new Browser();
    const confirmPage = await owner.request(cancelLinkOf(mail));
    expect(confirmPage.status).toBe(200);
    expect((await owner.submit(confirmPage, /\/login\/cancel$/)).body).toContain('Sign-in cancelled');
    expect(reasonOf(await started.submit(page, /\/login$/))).toBe('sign_in_cancelled');
    expect(reasonOf(await started.request(mail.link))).toBe('sign_in_cancelled');
  });

  it('a renew asked for before the cancel cannot be used after it', async () => {
    const { linkid, rp } = await setup();
    const started = new Browser();
    const { page, mail } = await requestLink(started, linkid, await rp.authorizationUrl(), 'twice@example.com');
    // Someone asks for a second email in the same sign-in; the owner cancels from the first one.
    const resent = await started.request(formOn(page, /\/login$/).action, { form: { email: 'twice@example.com' } });
    expect([200, 429]).toContain(resent.status);
    const owner = new Browser();
    await owner.submit(await owner.request(cancelLinkOf(mail)), /\/login\/cancel$/);
    const newest = await latestSignInMail(linkid, 'twice@example.com');
    const code = await started.submit(page, /\/code$/, { code: newest.code }, 'http');
    expect(reasonOf(code)).toBe('sign_in_cancelled');
    const confirm: Page = await started.request(newest.link);
    expect(reasonOf(confirm)).toBe('sign_in_cancelled');
  });
});
