// Apps with their own look, over HTTP: the same person sees each app's name, logo, accent colour,
// support address and privacy and terms links on that app's pages (email form, check-your-email,
// code, confirm, consent, reason pages) and in that app's email, and nothing of another app's.
// A logo on another origin is allowed by the CSP of that app's pages only. Bad branding is refused
// by linkid-admin with a reason.
import { describe, expect, it } from 'vitest';
import { Browser, type Page } from '../support/browser.js';
import { registerApp } from '../support/factories.js';
import type { RunningLinkid } from '../support/linkid.js';
import { confirmLink, reasonOf, requestLink } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const { start } = useLinkid();

const AURORA = {
  name: 'Aurora',
  consent: 'required',
  logoUri: 'https://cdn.aurora.example/logo.png',
  accentColor: '#0969DA',
  supportEmail: 'help@aurora.example',
  policyUri: 'https://aurora.example/privacy',
  tosUri: 'https://aurora.example/terms',
} as const;
const BASALT = { name: 'Basalt', consent: 'skip', accentColor: '#d93025', supportEmail: 'desk@basalt.example' } as const;

const imgSrc = (page: Page) => /img-src ([^;]+)/.exec(page.headers.get('content-security-policy') ?? '')?.[1];

function expectAurora(page: Page) {
  expect(page.body).toContain('<img class="logo" src="https://cdn.aurora.example/logo.png" alt="Aurora"');
  // Its accent as fill, and as text where it reads at 4.5:1 (light); a lighter ink of its hue on the dark page.
  expect(page.body).toContain(
    ':root{--accent:#0969da;--accent-text:#ffffff;--accent-ink:#0969da}\n@media (prefers-color-scheme:dark){:root{--accent-ink:#1b80f6}}',
  );
  expect(page.body).toContain('Questions? Write to help@aurora.example.');
  expect(page.body).toContain('<a href="https://aurora.example/privacy">Privacy policy</a>');
  expect(page.body).toContain('<a href="https://aurora.example/terms">Terms of service</a>');
  expect(imgSrc(page)).toBe("'self' data: https://cdn.aurora.example");
  expect(page.body).not.toContain('basalt');
}

function expectBasalt(page: Page) {
  expect(page.body).not.toContain('class="logo"');
  expect(page.body).toContain(
    ':root{--accent:#d93025;--accent-text:#ffffff;--accent-ink:#d62f25}\n@media (prefers-color-scheme:dark){:root{--accent-ink:#e05248}}',
  );
  expect(page.body).toContain('Questions? Write to desk@basalt.example.');
  expect(page.body).not.toContain('Privacy policy');
  expect(imgSrc(page)).toBe("'self' data:");
  expect(page.body).not.toContain('aurora');
}

async function twoApps(linkid: RunningLinkid) {
  return { aurora: await registerApp(linkid, AURORA), basalt: await registerApp(linkid, BASALT) };
}

describe('branding per app', () => {
  it("shows each app's brand on its pages and in its email, to the same person", async () => {
    const linkid = await start();
    const { aurora, basalt } = await twoApps(linkid);
    expect(aurora.client).toMatchObject({ logo_uri: AURORA.logoUri, policy_uri: AURORA.policyUri, tos_uri: AURORA.tosUri, accent_text: '#ffffff' });
    expect(aurora.client.settings).toEqual({ accent_color: '#0969da', support_email: 'help@aurora.example' });

    const atAurora = new Browser();
    const auroraForm = await atAurora.follow((await aurora.authorizationUrl()).url);
    expectAurora(auroraForm);
    const { page: auroraCheck, mail: auroraMail } = await requestLink(atAurora, linkid, await aurora.authorizationUrl(), 'ada@example.com');
    expectAurora(auroraCheck);
    expectAurora(await atAurora.submit(auroraCheck, /\/code$/, { code: '000000' }));
    expectAurora(await atAurora.request(auroraMail.link));
    const consent = await atAurora.follow((await confirmLink(atAurora, auroraMail)).location!, aurora.redirectUri);
    expect(consent.body).toContain('Aurora wants to know who you are');
    expectAurora(consent);
    // The used link's reason page belongs to the same sign-in, so to the same app.
    const used = await atAurora.request(auroraMail.link);
    expect(reasonOf(used)).toBe('token_used');
    expectAurora(used);

    const atBasalt = new Browser();
    const { page: basaltCheck, mail: basaltMail } = await requestLink(atBasalt, linkid, await basalt.authorizationUrl(), 'ada@example.com');
    expectBasalt(basaltCheck);
    expectBasalt(await atBasalt.request(basaltMail.link));

    // The emails: each app's logo, accent on the button, support address and links.
    const auroraHtml = auroraMail.message.html;
    expect(auroraMail.message.subject).toContain('Aurora');
    expect(auroraHtml).toContain('<img src="https://cdn.aurora.example/logo.png" alt="Aurora"');
    expect(auroraHtml).toContain('background:#0969da;color:#ffffff;');
    expect(auroraHtml).toContain('Questions? Write to help@aurora.example.');
    expect(auroraHtml).toContain('href="https://aurora.example/privacy"');
    expect(auroraHtml).toContain('href="https://aurora.example/terms"');
    expect(auroraMail.message.text).toContain('Privacy policy: https://aurora.example/privacy');
    const basaltHtml = basaltMail.message.html;
    expect(basaltMail.message.subject).toContain('Basalt');
    expect(basaltHtml).not.toContain('<img');
    expect(basaltHtml).toContain('background:#d93025;color:#ffffff;');
    expect(basaltHtml).toContain('Questions? Write to desk@basalt.example.');
    expect(basaltHtml).not.toMatch(/aurora/i);
  });

  it('a page that belongs to no app wears no app brand, and its CSP allows no other image origin', async () => {
    const linkid = await start();
    await twoApps(linkid);
    const unknown = await new Browser().request(`${linkid.issuer}/login/link?token=${'A'.repeat(43)}`);
    expect(reasonOf(unknown)).toBe('token_unknown');
    expect(unknown.body).not.toMatch(/:root\{--accent:#[0-9a-f]{6};--accent-text/);
    expect(imgSrc(unknown)).toBe("'self' data:");
  });

  it('a colour that would not read is refused with its contrast; a readable one gets a derived button text', async () => {
    const linkid = await start();
    await expect(linkid.createClient({ name: 'Pale', accentColor: '#ffff00' })).rejects.toThrow(
      /--accent-color #ffff00 has too little contrast.*on the light page/,
    );
    await expect(linkid.createClient({ name: 'Dark', accentColor: '#000080' })).rejects.toThrow(/on the dark one/);
    await expect(linkid.createClient({ name: 'Named', accentColor: 'blue' })).rejects.toThrow(/#rrggbb/);
    const light = await linkid.createClient({ name: 'Amber', accentColor: '#e0661a' });
    expect(light.accent_text).toBe('#0d1117');
  });
});

describe('linkid-admin validates per-app options', () => {
  it('refuses each bad option with a reason and stores nothing', async () => {
    const linkid = await start({ env: { LOGIN_TOKEN_TTL_SECONDS: '300' } });
    const refusals: [Record<string, unknown>, RegExp][] = [
      [{ signup: 'allowlist' }, /--signup allowlist needs --signup-domains/],
      [{ signup: 'sometimes' }, /--signup must be one of open, allowlist, closed, inherit/],
      [{ signup: 'allowlist', signupDomains: 'corp.example,not a domain' }, /--signup-domains must be comma-separated domains/],
      [{ signup: 'open', signupDomains: 'corp.example' }, /--signup-domains applies only with --signup allowlist/],
      [{ linkTtlSeconds: '30' }, /--link-ttl must be at least 60 seconds/],
      [{ linkTtlSeconds: '301' }, /--link-ttl must be at most 300 seconds \(LOGIN_TOKEN_TTL_SECONDS\)/],
      [{ linkTtlSeconds: 'soon' }, /--link-ttl must be a whole number of seconds/],
      [{ consent: 'maybe' }, /--consent must be required or skip/],
      [{ consent: 'required', firstParty: true }, /--consent required contradicts --first-party/],
      [{ scopes: ['openid', 'profile'] }, /--scope profile is not one of openid, email, offline_access/],
      [{ scopes: ['email'] }, /--scope must include openid/],
      [{ logoUri: 'http://cdn.example/logo.png' }, /--logo-uri must be an https URL/],
      [{ policyUri: 'javascript:alert(1)' }, /--policy-uri must be an https URL/],
      [{ supportEmail: 'help desk' }, /must be an email address/],
    ];
    for (const [options, message] of refusals) {
      await expect(linkid.createClient({ name: 'Bad', ...options }), JSON.stringify(options)).rejects.toThrow(message);
    }
    expect(await linkid.store.clients.list()).toEqual([]);
  });

  it('canonicalises allowlist domains (IDN as xn--), and update merges: inherit and empty values remove', async () => {
    const linkid = await start();
    const client = await linkid.createClient({
      name: 'Shop',
      signup: 'allowlist',
      signupDomains: ' Bücher.example, corp.EXAMPLE ',
      logoUri: AURORA.logoUri,
      firstParty: true,
    });
    expect(client.settings).toEqual({ signup: 'allowlist', signup_domains: ['xn--bcher-kva.example', 'corp.example'] });
    expect(client).toMatchObject({ first_party: true, consent: 'skip' });
    const updated = await linkid.updateClient(client.client_id, { signup: 'inherit', logoUri: '', consent: 'required', linkTtlSeconds: '120' });
    expect(updated.settings).toEqual({ link_ttl_seconds: 120 });
    expect(updated).not.toHaveProperty('logo_uri');
    expect(updated).toMatchObject({ first_party: false, consent: 'required' });
    await expect(linkid.updateClient(client.client_id, { signupDomains: 'corp.example' })).rejects.toThrow(/applies only with --signup allowlist/);
  });
});
