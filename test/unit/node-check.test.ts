// An older Node.js is refused twice, each time in words: `npm ci` stops with npm's own EBADENGINE
// message (engine-strict in .npmrc), and `node dist/main.js`, for a tree installed with a newer
// Node, stops with one line of ours before anything loads or is made (no DATA_DIR, no SQLite
// file, no crash of the native addon). The version named is package.json's `engines`, kept equal
// to MINIMUM_NODE here. The process tests need a Node.js older than that on this machine; where
// there is none they say so in the output instead of passing silently.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { isAtLeast, MINIMUM_NODE, nodeVersionRefusal } from '../../src/node-check.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const packageJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };

/** A Node.js binary on PATH (or in /usr/bin) older than MINIMUM_NODE, with its version, if this machine has one. */
function findOldNode(): { readonly binary: string; readonly version: string } | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin'].filter((dir) => dir !== '');
  const binaries = new Set(dirs.map((dir) => path.join(dir, 'node')).filter((file) => fs.existsSync(file)));
  for (const binary of binaries) {
    try {
      const version = execFileSync(binary, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      if (!isAtLeast(version, MINIMUM_NODE)) return { binary, version };
    } catch {
      // Not a runnable node: try the next one.
    }
  }
  return undefined;
}

const oldNode = findOldNode();
if (!oldNode) console.warn(`[node check] NOT RUN: no Node.js older than ${MINIMUM_NODE} on PATH or in /usr/bin to refuse`);
/** npm's own entry point, installed next to the old Node (Debian: /usr/lib/node_modules/npm). */
const npmCli = oldNode && path.resolve(path.dirname(fs.realpathSync(oldNode.binary)), '../lib/node_modules/npm/bin/npm-cli.js');
const npmMissing = !npmCli || !fs.existsSync(npmCli);
if (oldNode && npmMissing) console.warn(`[node check] npm ci NOT RUN: no npm next to ${oldNode.binary}`);

describe('the Node.js version check', () => {
  it('needs what package.json engines says, and .nvmrc names a version that has it', () => {
    expect(packageJson.engines.node).toBe(`>=${MINIMUM_NODE}`);
    const nvmrc = fs.readFileSync(path.join(root, '.nvmrc'), 'utf8').trim();
    expect(isAtLeast(nvmrc, MINIMUM_NODE)).toBe(true);
  });

  it('compares versions part by part, as numbers', () => {
    expect(isAtLeast('20.20.2', '22.12')).toBe(false);
    expect(isAtLeast('22.11.9', '22.12')).toBe(false);
    expect(isAtLeast('22.9.0', '22.12')).toBe(false);
    expect(isAtLeast('22.12.0', '22.12')).toBe(true);
    expect(isAtLeast('22.13.1', '22.12')).toBe(true);
    expect(isAtLeast('v24.1.0', '22.12')).toBe(true);
    expect(isAtLeast('100.0.0', '22.12')).toBe(true);
  });

  it('lets a supported Node.js through', () => {
    expect(nodeVersionRefusal('22.12.0')).toBeUndefined();
    expect(nodeVersionRefusal(process.versions.node)).toBeUndefined();
  });

  it('refuses an older one in one sentence naming the version found, the version needed and .nvmrc', () => {
    const line = nodeVersionRefusal('20.20.2');
    expect(line).toBe(
      'linkid needs Node.js 22.12 or newer and this is Node.js 20.20.2: install the version named in .nvmrc (for example `nvm install`), then run `npm ci` again.',
    );
    expect(nodeVersionRefusal('v22.11.0')).toContain('this is Node.js 22.11.0:');
  });

  it('makes npm refuse to install on an unsupported engine (.npmrc engine-strict)', async () => {
    expect(fs.readFileSync(path.join(root, '.npmrc'), 'utf8')).toMatch(/^engine-strict=true$/m);
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.toLowerCase() !== 'npm_config_engine_strict'));
    const { stdout } = await run('npm', ['config', 'get', 'engine-strict'], { cwd: root, env });
    expect(stdout.trim()).toBe('true');
  });
});

describe.skipIf(!oldNode)(`an older Node.js (${oldNode?.binary ?? 'none'}, ${oldNode?.version ?? '-'})`, () => {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  const scratch = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-old-node-'));
    made.push(dir);
    return dir;
  };

  it('stops `node dist/main.js` with one line and exit 1, before DATA_DIR is made', async () => {
    const { binary, version } = oldNode ?? { binary: '', version: '' };
    const dataDir = path.join(scratch(), 'data');
    const result = await run(binary, ['dist/main.js'], { cwd: root, env: { ...process.env, DATA_DIR: dataDir, PORT: '3999', LOG_LEVEL: 'info' } }).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${nodeVersionRefusal(version)}\n`);
    expect(result.stdout).toBe('');
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it.skipIf(npmMissing)("stops `npm ci` with npm's own EBADENGINE message, and lets this Node.js install", async () => {
    const { binary } = oldNode ?? { binary: '' };
    const dir = scratch();
    for (const file of ['package.json', 'package-lock.json', '.npmrc']) fs.copyFileSync(path.join(root, file), path.join(dir, file));
    const args = [npmCli ?? '', 'ci', '--dry-run', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'];
    const env = { ...process.env, PATH: `${path.dirname(binary)}${path.delimiter}${process.env.PATH ?? ''}`, npm_config_update_notifier: 'false' };
    const refused = await run(binary, args, { cwd: dir, env }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('EBADENGINE');
    expect(refused.stderr).toContain(`Required: {"node":">=${MINIMUM_NODE}"}`);
    expect(fs.existsSync(path.join(dir, 'node_modules'))).toBe(false);
    // The same install on the Node.js running these tests passes the engine check, dependencies' included.
    await run(process.execPath, args, { cwd: dir, env: { ...process.env, npm_config_update_notifier: 'false' } });
  });
});
