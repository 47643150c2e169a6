// src/login/sign-in.ts lists every step of the sign-in in walk order, with its file, its route and
// what it may refuse with; docs/architecture.md sends newcomers there. This keeps that table true:
// it names exactly the steps the built sign-in has, each in a file that exists, reached by a route
// that exists, and every way into an account ends in the one finishSignIn.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASONS } from '../../src/kernel/reasons.js';
import { SIGN_IN_METHODS } from '../../src/kernel/sign-in-method.js';
import { FLOW_ROUTES } from '../../src/login/flow-paths.js';
import { SIGN_IN_MAP } from '../../src/login/sign-in.js';
import { buildLinkid, type BuiltLinkid } from '../support/linkid.js';

const stepsDir = fileURLToPath(new URL('../../src/login/steps/', import.meta.url));

describe('the sign-in map (src/login/sign-in.ts)', () => {
  let linkid: BuiltLinkid;
  beforeAll(async () => {
    linkid = await buildLinkid();
  });
  afterAll(() => linkid.close());

  it('lists exactly the steps the built sign-in has, each once', () => {
    const listed = SIGN_IN_MAP.map((entry) => entry.step);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual(Object.keys(linkid.services.signIn).sort());
  });

  it('names a file that exists and opens with its rules, and a route that exists, for every step', () => {
    for (const entry of SIGN_IN_MAP) {
      const file = `${stepsDir}${entry.file}.ts`;
      expect(fs.existsSync(file), `${entry.step}: ${file}`).toBe(true);
      expect(fs.readFileSync(file, 'utf8').split('\n')[0], `${entry.step}: its file opens with a comment`).toMatch(/^\/\/ /);
      if (entry.route !== 'off-request' && entry.route !== 'way-in') expect(Object.keys(FLOW_ROUTES)).toContain(entry.route);
      for (const reason of entry.refusals) expect(Object.keys(REASONS)).toContain(reason);
    }
  });

  it('has one step per way in, each handing on to finishSignIn, for every sign-in method', () => {
    const waysIn = SIGN_IN_MAP.filter((entry) => entry.wayIn !== undefined);
    expect(waysIn.map((entry) => entry.wayIn).sort()).toEqual(Object.keys(SIGN_IN_METHODS).sort());
    for (const entry of waysIn) expect(entry.onward).toBe('finishSignIn');
    expect(SIGN_IN_MAP.filter((entry) => entry.step === 'finishSignIn')).toHaveLength(1);
  });
});
