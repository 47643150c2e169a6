// One source of truth for versions: /version, the "for support" line of error pages and
// linkid_build_info say the same, and the template digest moves when an email template or its
// wording does. A page where nothing went wrong shows neither the version nor the request id.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { POLICY_VERSION } from '../../src/login/policy.js';
import { VIEWS_DIR } from '../../src/i18n/templates.js';
import { readCommit, templatesDigest } from '../../src/observability/versions.js';
import { Browser } from '../support/browser.js';
import { scrape } from '../support/metrics.js';
import { useLinkid } from '../support/use-linkid.js';

const { setup } = useLinkid();
const packageVersion = (JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;

describe('GET /version', () => {
  it('answers the app, commit, schema, policy and template versions, as error pages and linkid_build_info do', async () => {
    const { linkid, rp } = await setup();
    const response = await fetch(`${linkid.issuer}/version`);
    expect(response.status).toBe(200);
    const versions = (await response.json()) as Record<string, string>;
    expect(versions).toEqual({
      version: packageVersion,
      commit: expect.stringMatching(/^([0-9a-f]{7,40}|unknown)$/) as unknown,
      schema: linkid.store.schemaVersion,
      policy: POLICY_VERSION,
      templates: templatesDigest(),
    });
    expect(versions.schema).toMatch(/^(sqlite|mongodb):\d+$/);

    const browser = new Browser();
    const page = await browser.follow((await rp.authorizationUrl()).url);
    expect(page.status).toBe(200);
    const requestId = page.headers.get('x-request-id')!;
    expect(requestId).toMatch(/\S/);
    expect(page.body).toContain('<footer class="muted">linkid</footer>');
    expect(page.body).not.toContain(requestId);
    expect(page.body).not.toContain(packageVersion);

    const refused = await browser.request(`${linkid.issuer}/interaction/long-gone`);
    expect(refused.status).toBe(410);
    const refusedId = refused.headers.get('x-request-id')!;
    expect(refused.body).toContain(
      `<p class="support">For support: <code>interaction_expired</code> · request id <code>${refusedId}</code> · <span class="build">linkid ${packageVersion}</span></p>`,
    );

    const metrics = await scrape(linkid.issuer);
    expect(metrics.value('linkid_build_info', { version: versions.version!, commit: versions.commit!, schema: versions.schema! })).toBe(1);
  });
});

describe('the versions behind /version', () => {
  it('digests the email templates and their wording, so a change to either shows', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-views-'));
    try {
      fs.cpSync(VIEWS_DIR, copy, { recursive: true });
      const original = templatesDigest(copy);
      expect(original).toMatch(/^[0-9a-f]{12}$/);
      expect(templatesDigest(copy)).toBe(original);
      fs.appendFileSync(path.join(copy, 'locales', 'en.json'), ' ');
      const reworded = templatesDigest(copy);
      expect(reworded).not.toBe(original);
      fs.appendFileSync(path.join(copy, 'email', 'magic-link-text.eta'), '\n');
      expect(templatesDigest(copy)).not.toBe(reworded);
      // A page template is not an email template.
      const before = templatesDigest(copy);
      fs.appendFileSync(path.join(copy, 'error.eta'), '\n');
      expect(templatesDigest(copy)).toBe(before);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it('reads the commit the build recorded, and says unknown for none or for anything not a commit', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-build-'));
    try {
      const file = path.join(dir, 'build-info.json');
      expect(readCommit(file)).toBe('unknown');
      fs.writeFileSync(file, JSON.stringify({ commit: '0123abc' }));
      expect(readCommit(file)).toBe('0123abc');
      fs.writeFileSync(file, JSON.stringify({ commit: '<script>' }));
      expect(readCommit(file)).toBe('unknown');
      fs.writeFileSync(file, 'not json');
      expect(readCommit(file)).toBe('unknown');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
