// `npm run docs:config`: rewrites docs/configuration.md's table (between its markers) and the
// whole of config/linkid.env.example from the documented schema in env.ts. test/unit/config-docs
// fails until this has been run after a change to a variable.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigTable, renderEnvExample, withConfigTable } from './env-docs.js';

// This file runs as dist/config/write-env-docs.js; the repository is two levels up.
const root = fileURLToPath(new URL('../../', import.meta.url));

const docPath = `${root}docs/configuration.md`;
writeFileSync(docPath, withConfigTable(readFileSync(docPath, 'utf8'), renderConfigTable()));
writeFileSync(`${root}config/linkid.env.example`, renderEnvExample());
console.log('wrote docs/configuration.md (configuration table) and config/linkid.env.example');
