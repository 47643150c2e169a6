// Mail scanners and link previews follow every link in an email; some press the button, some
// send HEAD or OPTIONS. None of it may consume the link: the person can still use it afterwards.
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/kernel/token-crypto.js';
import { Browser, formOn } from '../support/browser.js';
import { confirmLink, reasonOf, requestLink } from '../support/sign-in.js';
import { useLinkid, useSharedLinkid } from '../support/use-linkid.js';

const { setup } = useLinkid();

describe('scanners and other browsers', () => {
  const shared = useSharedLinkid();

  it('GET and HEAD of the link never consume it', async () => {
    const { browser, mail } = await shared.pendingLink('scanned@example.com');
    for (let i = 0; i < 3; i += 1) expect((await new Browser('Scanner').request(mail.link)).status).toBe(200);
    expect((await fetch(mail.link, { method: 'HEAD' })).status).toBe(200);
    const row = await shared.linkid.store.loginTokens.findByHash((await import('../../src/kernel/token-crypto.js')).sha256(mail.token));
    expect(row?.usedAt).toBeNull();
    const confirmed = await confirmLink(browser, mail);
    expect(confirmed.status).toBe(303);
  });

  it('a POST without the browser cookies (a scanner pressing the button) consumes nothing', async () => {
    const { browser, mail } = await shared.pendingLink('pressed@example.com');
    const scanner = new Browser('Scanner');
    // The scanner gets the other-browser page: its buttons ask for approval or a QR code, never
    // the confirm. Posted to the confirm path the owner's browser would use, it consumes nothing.
    const page = await scanner.request(mail.link);
    expect(page.body).not.toMatch(/\/verify"/);
    const confirmPage = await browser.request(mail.link);
    const posted = await scanner.request(formOn(confirmPage, /\/verify$/).action, { form: { token: mail.token } });
    expect(posted.status).toBe(403);
    expect(reasonOf(posted.body)).toBe('browser_mismatch');
    expect(posted.body).toContain('browser where you started');
    expect((await confirmLink(browser, mail)).status).toBe(303);
  });
});

describe('used links', () => {
  it('OPTIONS on the link consumes nothing', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'options@example.com');
    // No handler serves OPTIONS: the router answers with the methods the link has (none that
    // changes anything), no body and no cookie. Twelve of them, more than the link's per-token
    // budget (RATE_LIMIT_VERIFY_PER_TOKEN, 10 by default), spend none of it.
    for (let i = 0; i < 12; i += 1) {
      const options = await fetch(mail.link, { method: 'OPTIONS' });
      expect(options.status).toBe(200);
      expect(options.headers.get('allow')?.split(/,\s*/).sort()).toEqual(['GET', 'HEAD']);
      expect(await options.text()).toBe('');
      expect(options.headers.getSetCookie()).toEqual([]);
    }
    expect((await linkid.store.loginTokens.findByHash(sha256(mail.token)))?.usedAt).toBeNull();
    expect((await confirmLink(browser, mail)).status).toBe(303);
  });
});
