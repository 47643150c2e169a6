// The GitHub Actions workflow cannot run here, so its shape is checked here: it parses as YAML, is
// a workflow GitHub accepts (triggers, jobs with runs-on and steps, each step one of uses/run),
// one job runs README's test command on Node 24, the other runs `npm run test:mongo` twice
// against a mongo:8 single-node replica set given through MONGODB_URI.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

const root = path.resolve(import.meta.dirname, '../..');
const file = path.join(root, '.github/workflows/ci.yml');

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  name?: string;
}
interface Job {
  'runs-on': string;
  steps: Step[];
  env?: Record<string, string>;
}

function load() {
  const document = parseDocument(fs.readFileSync(file, 'utf8'), { uniqueKeys: true });
  expect(document.errors.map((error) => error.message)).toEqual([]);
  expect(document.warnings.map((warning) => warning.message)).toEqual([]);
  return document.toJS() as { name: string; on: Record<string, unknown>; jobs: Record<string, Job> };
}

const KNOWN_STEP_KEYS = new Set(['id', 'if', 'name', 'uses', 'run', 'shell', 'with', 'env', 'continue-on-error', 'timeout-minutes', 'working-directory']);
const KNOWN_JOB_KEYS = new Set([
  'name',
  'runs-on',
  'needs',
  'if',
  'permissions',
  'env',
  'timeout-minutes',
  'services',
  'steps',
  'strategy',
  'defaults',
  'container',
]);

describe('.github/workflows/ci.yml', () => {
  it('is a workflow GitHub would accept', () => {
    const workflow = load();
    expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(['push', 'pull_request']));
    expect(Object.keys(workflow.jobs).length).toBeGreaterThanOrEqual(2);
    for (const [id, job] of Object.entries(workflow.jobs)) {
      expect(id).toMatch(/^[A-Za-z_][\w-]*$/);
      expect(
        Object.keys(job).filter((key) => !KNOWN_JOB_KEYS.has(key)),
        id,
      ).toEqual([]);
      expect(job['runs-on'], id).toMatch(/^ubuntu-/);
      expect(job.steps.length, id).toBeGreaterThan(0);
      for (const step of job.steps) {
        expect(
          Object.keys(step).filter((key) => !KNOWN_STEP_KEYS.has(key)),
          JSON.stringify(step),
        ).toEqual([]);
        expect(Number('uses' in step) + Number('run' in step), JSON.stringify(step)).toBe(1);
        if (step.uses) expect(step.uses).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
      }
    }
  });

  const runs = (job: Job) => job.steps.flatMap((step) => (step.run ? [step.run] : []));
  const nodeVersion = (job: Job) => job.steps.find((step) => step.uses?.startsWith('actions/setup-node@'))?.with?.['node-version'];

  it("runs README's test command on Node 24", () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toMatch(/^npm test\s+# runs every test this machine can run$/m);
    const job = Object.values(load().jobs).find((candidate) => runs(candidate).includes('npm test'));
    expect(job).toBeDefined();
    expect(nodeVersion(job!)).toBe(24);
    expect(runs(job!)).toContain('npm ci --no-audit --no-fund');
  });

  it('runs npm run test:mongo twice against a mongo:8 single-node replica set given as MONGODB_URI', () => {
    const job = Object.values(load().jobs).find((candidate) => runs(candidate).includes('npm run test:mongo'));
    expect(job).toBeDefined();
    expect(nodeVersion(job!)).toBe(24);
    expect(runs(job!).filter((run) => run === 'npm run test:mongo')).toHaveLength(2);
    expect(job!.env?.MONGODB_URI).toMatch(/^mongodb:\/\/localhost:27017\/\?replicaSet=rs0$/);
    const start = runs(job!).join('\n');
    expect(start).toMatch(/docker run .* mongo:8 --replSet rs0/);
    expect(start).toContain("rs.initiate({ _id: 'rs0'");
    // The server is up before the tests start.
    const steps = job!.steps.map((step) => step.run ?? step.uses ?? '');
    expect(steps.findIndex((step) => step.includes('docker run'))).toBeLessThan(steps.indexOf('npm run test:mongo'));
  });

  it('has a test:mongo script that uses MONGODB_URI when it is set', () => {
    const script = fs.readFileSync(path.join(root, 'test/support/with-mongodb.ts'), 'utf8');
    expect(script).toMatch(/const given = process\.env\.MONGODB_URI;/);
    expect(script).toMatch(/await import\('mongodb-memory-server'\)/);
  });
});
