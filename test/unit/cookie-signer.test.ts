// The cookie signer must be Keygrip's twin: a cookie signed by either verifies with the other, across
// key rotation, so cookies set before the switch (or by an older worker) keep working.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createCookieSigner } from '../../src/secrets/cookie-signer.js';

// keygrip is what `cookies` (Koa's, and so oidc-provider's) uses when given an array of keys.
const Keygrip = createRequire(import.meta.url)('keygrip') as new (keys: string[]) => {
  sign(data: string): string;
  index(data: string, digest: string): number;
};

const OLD = 'old-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const NEW = 'new-key-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const DATA = 'linkid-session=2Yx0kq9c_Vn3rPz1Lm8tQw';

describe('cookie signer', () => {
  it('signs exactly as Keygrip does', () => {
    for (const data of [DATA, '', 'ünïcödé=✓', 'x'.repeat(4000)]) {
      expect(createCookieSigner([NEW, OLD]).sign(data)).toBe(new Keygrip([NEW, OLD]).sign(data));
    }
  });

  it("finds which key signed, as Keygrip's index does, across rotation", () => {
    const signer = createCookieSigner([NEW, OLD]);
    const byOld = new Keygrip([OLD]).sign(DATA);
    expect(signer.index(DATA, byOld)).toBe(1);
    expect(signer.index(DATA, byOld)).toBe(new Keygrip([NEW, OLD]).index(DATA, byOld));
    expect(signer.index(DATA, signer.sign(DATA))).toBe(0);
    expect(signer.verify(DATA, byOld)).toBe(true);
    expect(new Keygrip([OLD, NEW]).index(DATA, signer.sign(DATA))).toBe(1);
  });

  it('refuses a signature made by a retired key, for other data, or altered', () => {
    const signer = createCookieSigner([NEW]);
    const good = signer.sign(DATA);
    expect(signer.index(DATA, new Keygrip([OLD]).sign(DATA))).toBe(-1);
    expect(signer.index(`${DATA}x`, good)).toBe(-1);
    const flipped = `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`;
    expect(signer.verify(DATA, flipped)).toBe(false);
    // Same bytes, other spellings: padded, standard base64, junk around it.
    expect(signer.verify(DATA, `${good}=`)).toBe(false);
    expect(signer.verify(DATA, `${good}.`)).toBe(false);
    expect(signer.verify(DATA, good.slice(0, -2))).toBe(false);
    expect(signer.verify(DATA, '')).toBe(false);
    expect(signer.verify(DATA, good)).toBe(true);
  });

  it('needs a key', () => {
    expect(() => createCookieSigner([])).toThrow(/cookie key/);
  });
});
