// Configuration: defaults, and one clear error naming the variable for each bad value.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.js';

describe('loadConfig', () => {
  it('has working defaults for a first start', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, issuer: 'http://localhost:3000', loginTokenTtlSeconds: 600, trustProxy: false });
    expect(config.dataDir.endsWith('/data')).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('derives the issuer from PORT and strips a trailing slash from ISSUER', () => {
    expect(loadConfig({ PORT: '8080' }).issuer).toBe('http://localhost:8080');
    expect(loadConfig({ ISSUER: 'https://id.example.com/', MAIL_TRANSPORT: 'outbox' }).issuer).toBe('https://id.example.com');
    expect(loadConfig({ ISSUER: 'https://example.com/id', MAIL_TRANSPORT: 'outbox' }).issuer).toBe('https://example.com/id');
  });

  it.each([
    ['PORT', 'abc', 'whole number'],
    ['PORT', '70000', 'at most 65535'],
    ['ISSUER', 'not a url', 'absolute URL'],
    ['ISSUER', 'http://id.example.com', 'https'],
    ['ISSUER', 'https://id.example.com/?x=1', 'query'],
    ['ISSUER', 'ftp://id.example.com', 'https'],
    ['LOGIN_TOKEN_TTL_SECONDS', '601', 'at most 600'],
    ['LOGIN_TOKEN_TTL_SECONDS', '10', 'at least 60'],
    ['LOG_LEVEL', 'loud', 'one of'],
    ['TRUST_PROXY', 'maybe', 'true or false'],
    ['MAIL_FROM', 'nobody', 'address'],
  ])('%s=%s fails naming the variable', (variable, value, words) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message).toContain(variable);
    expect((error as Error).message).toContain(words);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('store and key settings', () => {
  it('selects MongoDB only from a MongoDB connection string', () => {
    expect(loadConfig({}).mongodbUri).toBeUndefined();
    expect(loadConfig({ MONGODB_URI: 'mongodb://db-1,db-2/linkid?replicaSet=rs0' }).mongodbUri).toBe('mongodb://db-1,db-2/linkid?replicaSet=rs0');
    expect(() => loadConfig({ MONGODB_URI: 'postgres://x' })).toThrow(/MONGODB_URI: must be a MongoDB connection string/);
  });

  it('reads keys from the environment when given, and checks their shape', () => {
    const config = loadConfig({ COOKIE_KEYS: `${'a'.repeat(32)}, ${'b'.repeat(40)}`, SERVER_SECRET: 'c'.repeat(43), KEYS_DIR: '/run/secrets/linkid' });
    expect(config.keys.cookieKeys).toEqual(['a'.repeat(32), 'b'.repeat(40)]);
    expect(config.keys.serverSecret).toBe('c'.repeat(43));
    expect(config.keysDir).toBe('/run/secrets/linkid');
    expect(loadConfig({ DATA_DIR: '/srv/linkid' }).keysDir).toBe('/srv/linkid/keys');
    expect(() => loadConfig({ COOKIE_KEYS: 'short' })).toThrow(/COOKIE_KEYS/);
    expect(() => loadConfig({ SERVER_SECRET: 'short' })).toThrow(/SERVER_SECRET/);
    expect(loadConfig({ PAIRWISE_SALT: 'p'.repeat(43) }).keys.pairwiseSalt).toBe('p'.repeat(43));
    expect(() => loadConfig({ PAIRWISE_SALT: 'p'.repeat(42) })).toThrow(/PAIRWISE_SALT: must be at least 32 random bytes/);
    expect(() => loadConfig({ SIGNING_KEYS: '{"keys":[{"kty":"RSA","kid":"k"}]}' })).toThrow(/SIGNING_KEYS: must be a JWKS whose keys are private/);
    expect(() => loadConfig({ SIGNING_KEYS: 'nope' })).toThrow(/SIGNING_KEYS: must be a JSON Web Key Set/);
  });
});

describe('rate limits, sign-up and sessions', () => {
  it('parses rate rules like 5/1h and has documented defaults', () => {
    const config = loadConfig({ RATE_LIMIT_SEND_PER_EMAIL: '2/30s', RATE_LIMIT_CODE_PER_IP: '7/2d' });
    expect(config.rateLimits.RATE_LIMIT_SEND_PER_EMAIL).toEqual({ points: 2, durationSeconds: 30 });
    expect(config.rateLimits.RATE_LIMIT_CODE_PER_IP).toEqual({ points: 7, durationSeconds: 172_800 });
    expect(config.rateLimits.RATE_LIMIT_SEND_PER_IP_EMAIL).toEqual({ points: 3, durationSeconds: 600 });
    expect(() => loadConfig({ RATE_LIMIT_SEND_PER_IP: 'lots' })).toThrow(/RATE_LIMIT_SEND_PER_IP: must look like 5\/1h/);
    expect(() => loadConfig({ RATE_LIMIT_SEND_PER_IP: '0/1h' })).toThrow(/RATE_LIMIT_SEND_PER_IP/);
  });

  it('needs allowed domains for SIGNUP=allowlist', () => {
    expect(loadConfig({ SIGNUP: 'allowlist', SIGNUP_ALLOWED_DOMAINS: 'Example.com, example.org' }).signup).toEqual({
      policy: 'allowlist',
      allowedDomains: ['example.com', 'example.org'],
    });
    expect(() => loadConfig({ SIGNUP: 'allowlist' })).toThrow(/SIGNUP_ALLOWED_DOMAINS: must list at least one domain/);
    expect(() => loadConfig({ SIGNUP: 'invite' })).toThrow(/SIGNUP: must be one of open, allowlist, closed/);
    expect(() => loadConfig({ SIGNUP_ALLOWED_DOMAINS: 'not a domain' })).toThrow(/SIGNUP_ALLOWED_DOMAINS/);
  });

  it('reads allowed domains in the form addresses are compared in: IDNA-encoded, lower-case', () => {
    const { allowedDomains } = loadConfig({ SIGNUP: 'allowlist', SIGNUP_ALLOWED_DOMAINS: 'BÜCHER.example, xn--caf-dma.example, Example.com.' }).signup;
    expect(allowedDomains).toEqual(['xn--bcher-kva.example', 'xn--caf-dma.example', 'example.com']);
    for (const bad of ['localhost', '127.0.0.1', 'exa\u200Bmple.com', 'example.com/path']) {
      expect(() => loadConfig({ SIGNUP_ALLOWED_DOMAINS: bad }), bad).toThrow(/SIGNUP_ALLOWED_DOMAINS: must be comma-separated domains/);
    }
  });

  it('keeps the idle session lifetime within the absolute one', () => {
    expect(loadConfig({})).toMatchObject({ sessionIdleSeconds: 14 * 86_400, sessionAbsoluteSeconds: 30 * 86_400 });
    expect(() => loadConfig({ SESSION_IDLE_TTL_SECONDS: '7200', SESSION_ABSOLUTE_TTL_SECONDS: '3600' })).toThrow(/SESSION_IDLE_TTL_SECONDS/);
  });
});

describe('mail transport', () => {
  const token = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

  it("sends up to 50 ready emails in one request by default, never more than Postmark's 500", () => {
    expect(loadConfig({}).mailBatchSize).toBe(50);
    expect(loadConfig({ MAIL_BATCH_SIZE: '1' }).mailBatchSize).toBe(1);
    expect(() => loadConfig({ MAIL_BATCH_SIZE: '501' })).toThrow(/MAIL_BATCH_SIZE/);
    expect(() => loadConfig({ MAIL_BATCH_SIZE: '0' })).toThrow(/MAIL_BATCH_SIZE/);
  });

  it('defaults to Postmark with a token and to the outbox without one, on a loopback issuer', () => {
    expect(loadConfig({ POSTMARK_SERVER_TOKEN: token }).postmark?.serverToken).toBe(token);
    expect(loadConfig({}).postmark).toBeUndefined();
    expect(loadConfig({ ISSUER: 'http://127.0.0.1:3000' }).postmark).toBeUndefined();
  });

  it('refuses an https issuer with no mail provider unless the outbox is chosen on purpose', () => {
    expect(() => loadConfig({ ISSUER: 'https://id.example.com' })).toThrow(
      new ConfigError(
        'MAIL_TRANSPORT',
        'ISSUER is https but no mail provider is configured: set POSTMARK_SERVER_TOKEN or SMTP_URL, or MAIL_TRANSPORT=outbox to write live sign-in links to DATA_DIR/outbox on purpose',
      ),
    );
    expect(loadConfig({ ISSUER: 'https://id.example.com', MAIL_TRANSPORT: 'outbox' }).postmark).toBeUndefined();
    expect(loadConfig({ ISSUER: 'https://id.example.com', POSTMARK_SERVER_TOKEN: token }).postmark?.serverToken).toBe(token);
    expect(loadConfig({ ISSUER: 'https://id.example.com', MAIL_TRANSPORT: 'postmark', POSTMARK_SERVER_TOKEN: token }).postmark?.serverToken).toBe(token);
  });

  it.each([
    [{ MAIL_TRANSPORT: 'sendmail' }, 'MAIL_TRANSPORT', 'one of postmark, smtp, outbox'],
    [{ MAIL_TRANSPORT: 'postmark' }, 'POSTMARK_SERVER_TOKEN', 'required when MAIL_TRANSPORT=postmark'],
    [{ MAIL_TRANSPORT: 'smtp' }, 'SMTP_URL', 'required when MAIL_TRANSPORT=smtp'],
    [{ MAIL_TRANSPORT: 'outbox', POSTMARK_SERVER_TOKEN: token }, 'MAIL_TRANSPORT', 'POSTMARK_SERVER_TOKEN is set'],
    [{ MAIL_TRANSPORT: 'outbox', SMTP_URL: 'smtp://relay.example.com' }, 'MAIL_TRANSPORT', 'SMTP_URL is set'],
    [{ POSTMARK_SERVER_TOKEN: token, SMTP_URL: `smtp://u:${token}@relay.example.com` }, 'SMTP_URL', 'POSTMARK_SERVER_TOKEN: mail goes through one transport'],
    [{ SMTP_FROM: 'bounces@example.com' }, 'SMTP_FROM', 'SMTP_URL is not'],
  ])('%o fails naming %s', (env, variable, words) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message).toContain(words);
    expect((error as Error).message).not.toContain(token);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('SMTP_URL and SMTP_FROM', () => {
  const smtp = (env: Record<string, string>) => loadConfig(env).smtp;

  it('chooses SMTP when SMTP_URL is set, with STARTTLS required on smtp:// and TLS from the start on smtps://', () => {
    const config = loadConfig({ ISSUER: 'https://id.example.com', SMTP_URL: 'smtp://relay.example.com', MAIL_FROM: 'Acme ID <id@acme.example>' });
    expect(config.mailTransport).toBe('smtp');
    expect(config.postmark).toBeUndefined();
    expect(config.smtp).toEqual({
      host: 'relay.example.com',
      port: 587,
      tls: 'starttls',
      envelopeFrom: 'id@acme.example',
      describe: 'smtp://relay.example.com:587 (STARTTLS required)',
    });
    expect(smtp({ SMTP_URL: 'smtps://relay.example.com' })).toMatchObject({ port: 465, tls: 'implicit', describe: 'smtps://relay.example.com:465 (TLS)' });
    expect(smtp({ SMTP_URL: 'smtp://relay.example.com:2525?tls=starttls' })).toMatchObject({ port: 2525, tls: 'starttls' });
    expect(smtp({ SMTP_URL: 'smtp://[::1]:25?tls=none' })).toMatchObject({ host: '::1', port: 25, tls: 'none', describe: 'smtp://[::1]:25 (no TLS)' });
    expect(loadConfig({}).mailTransport).toBe('outbox');
    expect(loadConfig({}).smtp).toBeUndefined();
    expect(loadConfig({ MAIL_TRANSPORT: 'smtp', SMTP_URL: 'smtp://relay.example.com' }).mailTransport).toBe('smtp');
  });

  it('reads percent-encoded credentials, and keeps them out of the description', () => {
    const settings = smtp({ SMTP_URL: 'smtps://ann%40example.com:p%40ss%3Aw%2Frd@relay.example.com:465' });
    expect(settings).toMatchObject({ user: 'ann@example.com', password: 'p@ss:w/rd' });
    expect(settings?.describe).toBe('smtps://relay.example.com:465 (TLS)');
  });

  it('sends bounces to SMTP_FROM, or to the address of MAIL_FROM', () => {
    expect(smtp({ SMTP_URL: 'smtp://relay.example.com', SMTP_FROM: 'bounces@example.com' })?.envelopeFrom).toBe('bounces@example.com');
    expect(smtp({ SMTP_URL: 'smtp://relay.example.com', MAIL_FROM: 'id@example.com' })?.envelopeFrom).toBe('id@example.com');
    expect(smtp({ SMTP_URL: 'smtp://relay.example.com', PORT: '8080' })?.envelopeFrom).toBe('no-reply@localhost');
  });

  const secret = 'Sup3r-Secret-Passw0rd';
  it.each([
    [`http://u:${secret}@relay.example.com`, 'smtp:// or smtps://'],
    [`smtp://u:${secret}@relay.example.com/path`, 'path'],
    [`smtp://u:${secret}@relay.example.com?tls=maybe`, 'tls='],
    [`smtps://u:${secret}@relay.example.com?tls=none`, 'always TLS'],
    [`smtp://u:${secret}@relay.example.com?secure=false`, 'only the query parameter tls'],
    [`smtp://:${secret}@relay.example.com`, 'no user name'],
    [`smtp://u:${secret}%zz@relay.example.com`, 'percent-encoded'],
    [`not a url ${secret}`, 'smtp:// or smtps://'],
  ])('SMTP_URL=%s fails in one line that never repeats the password', (value, words) => {
    let error: unknown;
    try {
      loadConfig({ SMTP_URL: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('SMTP_URL');
    expect((error as Error).message).toContain(words);
    expect((error as Error).message).not.toContain(secret);
    expect((error as Error).message).not.toContain('\n');
  });

  it('refuses an SMTP_FROM that is not an address', () => {
    expect(() => loadConfig({ SMTP_URL: 'smtp://relay.example.com', SMTP_FROM: 'Bounces <b@example.com>' })).toThrow(/SMTP_FROM: must be an email address/);
  });
});

describe('outbound requests and the ID token', () => {
  it('lets outbound requests reach loopback only when asked, and only with a loopback issuer', () => {
    expect(loadConfig({}).outboundAllowLoopback).toBe(false);
    expect(loadConfig({ OUTBOUND_ALLOW_LOOPBACK: 'true', ISSUER: 'http://127.0.0.1:3000' }).outboundAllowLoopback).toBe(true);
    expect(loadConfig({ OUTBOUND_ALLOW_LOOPBACK: 'true' }).outboundAllowLoopback).toBe(true);
    expect(() => loadConfig({ OUTBOUND_ALLOW_LOOPBACK: 'true', ISSUER: 'https://id.example.com', MAIL_TRANSPORT: 'outbox' })).toThrow(
      new ConfigError('OUTBOUND_ALLOW_LOOPBACK', 'is for tests and local development only: it needs an ISSUER on localhost or a loopback address'),
    );
  });

  it('puts the email in the ID token unless ID_TOKEN_INCLUDE_EMAIL=false', () => {
    expect(loadConfig({}).idTokenIncludeEmail).toBe(true);
    expect(loadConfig({ ID_TOKEN_INCLUDE_EMAIL: 'false' }).idTokenIncludeEmail).toBe(false);
  });
});
