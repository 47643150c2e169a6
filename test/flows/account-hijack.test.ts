// What a hijacker with a fresh session of someone else's account can leave behind, and what the
// owner's undo takes away again, probed as an attacker would at the HTTP level: recovery codes
// made before changing the address die with the undo; the data download does not tell whether an
// address tried for a change has an account; another app cannot open its sign-in on the recovery form.
import { describe, expect, it } from 'vitest';
import { codesOn, openAccount } from '../support/account.js';
import { Browser, formOn } from '../support/browser.js';
import { createUser } from '../support/factories.js';
import { askToChange, latestChangeMail, pressLink } from '../support/email-change.js';
import { reasonOf } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

describe('a hijacker and the owner', () => {
  const suite = useLinkid();

  it('voids the recovery codes a hijacker made when the owner undoes the change of address', async () => {
    const { linkid } = await suite.setup();
    const victim = await createUser(linkid, 'victim@example.com');
    const hijacker = new Browser();
    const page = await openAccount(hijacker, linkid, 'victim@example.com', '/account/recovery-codes');
    const codes = codesOn((await hijacker.submit(page, /\/account\/recovery-codes$/)).body);
    expect(codes).toHaveLength(10);
    await hijacker.follow(`${linkid.issuer}/account/email`);
    expect((await askToChange(hijacker, linkid, 'evil@example.com')).status).toBe(200);
    expect((await pressLink(hijacker, await latestChangeMail(linkid, 'evil@example.com', 'confirm'))).status).toBe(200);

    const owner = new Browser();
    const undo = await pressLink(owner, await latestChangeMail(linkid, 'victim@example.com', 'undo'));
    expect(undo.status, undo.body).toBe(200);

    expect(await linkid.store.recoveryCodes.countUnused(victim.id)).toBe(0);
    const again = new Browser();
    const form = await again.follow(`${linkid.issuer}/account/recover`);
    const refused = await again.request(formOn(form, /\/recover$/).action, { form: { email: 'victim@example.com', code: codes[0]! } });
    expect(reasonOf(refused)).toBe('recovery_invalid');
  });

  it("downloads the same events whether the address asked for was free or another account's", async () => {
    const { linkid } = await suite.setup();
    await createUser(linkid, 'taken@example.com');
    const kinds: string[] = [];
    for (const [who, tried] of [
      ['one@example.com', 'taken@example.com'],
      ['two@example.com', 'free@example.com'],
    ] as const) {
      await createUser(linkid, who);
      const browser = new Browser();
      await openAccount(browser, linkid, who, '/account/email');
      expect((await askToChange(browser, linkid, tried)).status).toBe(200);
      await linkid.settle();
      const download = await browser.request(`${linkid.issuer}/account/data`);
      const events = (JSON.parse(download.body) as { audit_events: { events: { event: string; reason: string | null }[] } }).audit_events.events;
      kinds.push(
        events
          .map((event) => `${event.event}:${event.reason ?? ''}`)
          .sort()
          .join('\n'),
      );
    }
    expect(kinds[0], JSON.stringify(kinds)).toBe(kinds[1]);
    expect(kinds[0]).not.toContain('email_taken');
  });

  it("opens only the account page's own sign-in on the recovery form", async () => {
    const { rp } = await suite.setup();
    const page = await new Browser().follow(`${(await rp.authorizationUrl()).url}&linkid_intent=recover`);
    expect(page.url).toMatch(/\/interaction\/[^/]+$/);
    expect(page.body).toContain('name="email"');
  });
});
