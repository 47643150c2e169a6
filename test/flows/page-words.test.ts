// Words on pages that must not contradict themselves or what happened, in every language: the
// consent page's "recognise you" line promises nothing about the address the next line shares;
// the delivery status reads "label: detail" with no ellipsis before the colon; "Delete my account"
// is marked as the destructive link it is; and a new set of recovery codes says the earlier codes
// stopped working only when there were earlier codes that worked, on the page and in the notice.
import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../src/i18n/catalog.js';
import { LOCALES } from '../../src/kernel/locales.js';
import { codesOn, openAccount } from '../support/account.js';
import { Browser, type Page } from '../support/browser.js';
import { createUser, registerApp } from '../support/factories.js';
import type { RunningLinkid } from '../support/linkid.js';
import { mailsTo } from '../support/outbox.js';
import { confirmLink, requestLink, signIn } from '../support/sign-in.js';
import { useLinkid, useSharedLinkid } from '../support/use-linkid.js';

const catalog = createCatalog();
const asHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const DELIVERY_STATES = ['queued', 'sent', 'delivered', 'failed', 'suppressed'] as const;

describe('words on the sign-in pages', () => {
  const shared = useSharedLinkid();

  it.each(LOCALES)('consent in %s: the line about recognising you says nothing of the address the next line shares', async (locale) => {
    const { linkid } = shared;
    const wiki = await registerApp(linkid, { name: 'Wiki', firstParty: false });
    const browser = new Browser();
    const { mail } = await requestLink(browser, linkid, await wiki.authorizationUrl({ scope: 'openid email' }), `consent-${locale}@example.com`);
    const confirmed = await confirmLink(browser, mail);
    const english = await browser.follow(confirmed.location!, wiki.redirectUri);
    expect(english.body).toContain('name="decision"');

    const page = await browser.request(english.url, { headers: { 'accept-language': locale } });

    const t = catalog.translator(locale);
    expect(page.headers.get('content-language')).toBe(locale);
    const items = [.../<ul class="scopes">([\s\S]*?)<\/ul>/.exec(page.body)![1]!.matchAll(/<li>([^<]*)<\/li>/g)].map((match) => match[1]);
    expect(items).toEqual([asHtml(t('consent.scope.openid')), asHtml(t('consent.scope.email'))]);
    expect(t('consent.scope.openid')).not.toMatch(/e-?mail|correo/i);
  });

  it.each(LOCALES)('delivery status in %s: "label: detail" with no ellipsis before the colon', async (locale) => {
    const { linkid } = shared;
    const t = catalog.translator(locale);
    for (const state of DELIVERY_STATES) expect(`${t(`delivery.${state}.label`)}: ${t(`delivery.${state}.detail`)}`).not.toMatch(/(…|\.\.\.)\s*:/);

    const browser = new Browser();
    const { page: check } = await requestLink(browser, linkid, await shared.rp.authorizationUrl(), `delivery-${locale}@example.com`);
    const deliveryUrl = new URL(/data-url="([^"]+)"/.exec(check.body)?.[1] ?? '', linkid.issuer).href;
    const answer = await browser.request(deliveryUrl, { api: true, headers: { 'accept-language': locale } });
    const status = JSON.parse(answer.body) as { status: (typeof DELIVERY_STATES)[number]; label: string; detail: string };
    expect(status.label).toBe(t(`delivery.${status.status}.label`));
    // What the page's script shows.
    expect(`${status.label}: ${status.detail}`).not.toMatch(/(…|\.\.\.)\s*:/);
  });
});

describe('words on the account pages', () => {
  const suite = useLinkid();

  it('marks "Delete my account", and only it, as destructive', async () => {
    const { linkid, rp } = await suite.setup();
    const browser = new Browser();
    await signIn(browser, linkid, rp, 'ada@example.com');

    const page = await browser.follow(`${linkid.issuer}/account`);

    expect(page.body).toContain('<li><a href="/account/delete" class="danger">Delete my account</a></li>');
    expect(page.body.match(/class="danger"/g)).toHaveLength(1);
  });

  /** Makes a set on the recovery-code page; the page and the notice it mailed. */
  async function makeSet(linkid: RunningLinkid, browser: Browser, email: string): Promise<{ page: Page; notice: string }> {
    const before = (await mailsTo(linkid, email)).length;
    const form = await openAccount(browser, linkid, email, '/account/recovery-codes');
    const page = await browser.submit(form, /\/account\/recovery-codes$/);
    expect(page.status, page.body).toBe(200);
    expect(codesOn(page.body)).toHaveLength(10);
    const added = (await mailsTo(linkid, email)).slice(before).filter((mail) => mail.subject.startsWith('New recovery codes'));
    expect(added).toHaveLength(1);
    return { page, notice: `${added[0]!.text}\n${added[0]!.html}` };
  }

  it('says the earlier codes no longer work only when the new set replaced codes that still worked', async () => {
    const { linkid } = await suite.setup();
    await createUser(linkid, 'ada@example.com');
    const browser = new Browser();
    const earlier = 'Your earlier codes no longer work.';
    const notice = 'The codes the account had before no longer work.';

    const first = await makeSet(linkid, browser, 'ada@example.com');
    expect(first.page.body).toContain('Each code works once.');
    expect(first.page.body).not.toContain(earlier);
    expect(first.notice).not.toContain('no longer work');
    expect(first.notice).toContain('Each new code signs in to the account once, without this inbox.');

    const second = await makeSet(linkid, browser, 'ada@example.com');
    expect(second.page.body).toContain(`Each code works once. ${earlier}`);
    expect(second.notice).toContain(`${notice} Each new code signs in to the account once`);

    // Voided, then made again: nothing that worked was replaced.
    const count = await browser.follow(`${linkid.issuer}/account/recovery-codes`);
    const voided = await browser.submit(count, /\/account\/recovery-codes\/void$/);
    expect(voided.body).toContain('Your recovery codes are void');
    const third = await makeSet(linkid, browser, 'ada@example.com');
    expect(third.page.body).not.toContain(earlier);
    expect(third.notice).not.toContain('no longer work');
  });
});
