// The first thing linkid does: refuse a Node.js older than it supports, in one sentence, before
// anything else loads. On an older Node the native SQLite addon, built for another ABI, crashes
// the process with no line of ours, after the data directory has been made. So this file imports
// nothing, and src/main.ts imports it alone and loads the rest only once it has passed.
// MINIMUM_NODE is package.json's `engines.node` (test/unit/node-check.test.ts keeps them equal),
// and is written in syntax every Node since 12 can parse, as is main.ts.

/** The oldest Node.js linkid runs on: package.json `"engines": { "node": ">=22.12" }`. */
export const MINIMUM_NODE = '22.12';

const parts = (version: string): number[] =>
  version
    .replace(/^v/, '')
    .split('.')
    .map((part) => Number.parseInt(part, 10) || 0);

/** True when `version` ("20.20.2", "v24.1.0") is at least `minimum` ("22.12"). */
export function isAtLeast(version: string, minimum: string): boolean {
  const [have, need] = [parts(version), parts(minimum)];
  for (let index = 0; index < Math.max(have.length, need.length); index += 1) {
    const difference = (have[index] ?? 0) - (need[index] ?? 0);
    if (difference !== 0) return difference > 0;
  }
  return true;
}

/** The line to stop with when `found` (process.versions.node) is too old; undefined when it will do. */
export function nodeVersionRefusal(found: string, minimum = MINIMUM_NODE): string | undefined {
  if (isAtLeast(found, minimum)) return undefined;
  return `linkid needs Node.js ${minimum} or newer and this is Node.js ${found.replace(/^v/, '')}: install the version named in .nvmrc (for example \`nvm install\`), then run \`npm ci\` again.`;
}
