// The configuration in force, as the admin console's About page shows it, never shows a secret:
// each variable says in the schema how much of its value is secret (src/config/env.ts `secret`),
// and Config.inForce holds only values masked by that rule.
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig, maskSecret } from '../../src/config/env.js';

describe('secrets in the configuration in force', () => {
  it('marks every variable whose name says it holds a token, key, secret or credential', () => {
    for (const [name, doc] of Object.entries(CONFIG_VARIABLES)) {
      if (/(TOKEN|SECRET|KEYS|AUTH|PASSWORD)$/.test(name) && !name.startsWith('RATE_LIMIT_')) expect(doc.secret, name).toBe('value');
    }
    expect(CONFIG_VARIABLES.SMTP_URL.secret).toBe('url-credentials');
    expect(CONFIG_VARIABLES.MONGODB_URI.secret).toBe('url-credentials');
    expect(CONFIG_VARIABLES.POSTMARK_API_URL.secret).toBe('url-credentials');
  });

  it("masks a URL's user name and password and keeps the rest", () => {
    expect(maskSecret('url-credentials', 'smtp://linkid:app-password@smtp.example.com:587')).toBe('smtp://••••••@smtp.example.com:587');
    expect(maskSecret('url-credentials', 'mongodb://admin:p%40ss@db-1,db-2/linkid?replicaSet=rs0')).toBe('mongodb://••••••@db-1,db-2/linkid?replicaSet=rs0');
    expect(maskSecret('url-credentials', 'mongodb://db-1/linkid')).toBe('mongodb://db-1/linkid');
    // Written without %40: the URL's user name and password reach the last @, and so does the mask.
    expect(maskSecret('url-credentials', 'smtps://alerts@example.com:app-password@smtp.example.com')).toBe('smtps://••••••@smtp.example.com');
    expect(maskSecret('url-credentials', 'smtp://linkid:p@ss:word@smtp.example.com:587')).toBe('smtp://••••••@smtp.example.com:587');
    expect(maskSecret('value', 'anything')).toBe('••••••');
    expect(maskSecret(undefined, 'plain')).toBe('plain');
  });

  it('holds no secret in clear, and every variable of the schema', () => {
    const secrets = {
      METRICS_TOKEN: 'metrics-token-0123456789',
      SMTP_URL: 'smtp://linkid:app-password-42@smtp.example.com:587',
      SERVER_SECRET: 'c2VydmVyLXNlY3JldC1mb3ItdGVzdHMtb25seS0wMTIzNDU2Nzg5',
      COOKIE_KEYS: 'cookie-key-0123456789-0123456789-0123456789',
      PAIRWISE_SALT: 'cGFpcndpc2Utc2FsdC1mb3ItdGVzdHMtb25seS0wMTIzNDU2Nzg5',
    };
    const config = loadConfig(secrets);
    expect(Object.keys(config.inForce).sort()).toEqual(Object.keys(CONFIG_VARIABLES).sort());
    const shown = JSON.stringify(config.inForce);
    for (const value of ['metrics-token-0123456789', 'app-password-42', secrets.SERVER_SECRET, secrets.COOKIE_KEYS, secrets.PAIRWISE_SALT])
      expect(shown).not.toContain(value);
    expect(config.inForce.SMTP_URL).toBe('smtp://••••••@smtp.example.com:587');
  });

  it('reads ADMIN_EMAILS as canonical addresses, and refuses a list with something that is not one', () => {
    expect(loadConfig({ ADMIN_EMAILS: ' Ada@Example.COM, grace@BÜCHER.example ,' }).adminEmails).toEqual(['ada@example.com', 'grace@xn--bcher-kva.example']);
    expect(loadConfig({}).adminEmails).toEqual([]);
    expect(() => loadConfig({ ADMIN_EMAILS: 'ada@example.com,not-an-address' })).toThrow(/ADMIN_EMAILS/);
  });
});
