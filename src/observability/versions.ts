// One source of truth for what is running: the app version (package.json), the commit it was
// built from (written into dist/ by the build), the store's schema, the sign-in policy's version
// and a digest of the email templates and their wording. /version, the page footer, the startup
// log line and linkid_build_info all show this one object, so they cannot disagree.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { POLICY_VERSION } from '../login/policy.js';
import { VIEWS_DIR } from '../i18n/templates.js';

export interface Versions {
  readonly version: string;
  /** The git commit (hex), or "unknown" when the build knew none. */
  readonly commit: string;
  /** The store's data layout, `sqlite:5` or `mongodb:1`. */
  readonly schema: string;
  readonly policy: string;
  /** First 12 hex digits of sha256 over views/email/* and views/locales/*.json. */
  readonly templates: string;
}

/** Where the build writes the commit: dist/build-info.json (absent when running from src/). */
export const BUILD_INFO_FILE = fileURLToPath(new URL('../build-info.json', import.meta.url));
const PACKAGE_JSON = new URL('../../package.json', import.meta.url);
const COMMIT_PATTERN = /^[0-9a-f]{7,40}$/;

export function readCommit(file = BUILD_INFO_FILE): string {
  try {
    const { commit } = JSON.parse(fs.readFileSync(file, 'utf8')) as { commit?: unknown };
    return typeof commit === 'string' && COMMIT_PATTERN.test(commit) ? commit : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** A digest of every file the sign-in email is made from, so any change to them shows. */
export function templatesDigest(viewsDir = VIEWS_DIR): string {
  const hash = createHash('sha256');
  const files = [
    ...fs.readdirSync(path.join(viewsDir, 'email')).map((name) => path.join('email', name)),
    ...fs
      .readdirSync(path.join(viewsDir, 'locales'))
      .filter((name) => name.endsWith('.json'))
      .map((name) => path.join('locales', name)),
  ].sort();
  for (const file of files)
    hash
      .update(`${file}\0`)
      .update(fs.readFileSync(path.join(viewsDir, file)))
      .update('\0');
  return hash.digest('hex').slice(0, 12);
}

export function readVersions(schema: string, options: { viewsDir?: string; buildInfoFile?: string } = {}): Versions {
  const { version } = JSON.parse(fs.readFileSync(PACKAGE_JSON, 'utf8')) as { version: string };
  return Object.freeze({
    version,
    commit: readCommit(options.buildInfoFile),
    schema,
    policy: POLICY_VERSION,
    templates: templatesDigest(options.viewsDir),
  });
}
