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
    expect(loadConfig({ ISSUER: 'https://id.example.com/' }).issuer).toBe('https://id.example.com');
    expect(loadConfig({ ISSUER: 'https://example.com/id' }).issuer).toBe('https://example.com/id');
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
