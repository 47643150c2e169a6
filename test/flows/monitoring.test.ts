// The monitoring that ships with linkid holds to what linkid exports: promtool accepts the alert
// rules and passes their unit tests; every metric (and label) the rules and the Grafana dashboard
// query is one /metrics exports; docker-compose provisions Prometheus and Grafana with both; and
// the Metrics section of docs/audit-and-metrics.md lists every linkid_* metric. Without promtool
// the rules' check is reported as skipped with a line saying why, never passed silently.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { scrape } from '../support/metrics.js';
import { useLinkid } from '../support/use-linkid.js';

const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const ALERTS = 'config/prometheus/alerts.yml';
const DASHBOARD = 'config/grafana/linkid.json';

const promtool = (() => {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!promtool) console.warn(`[alert rules] NOT CHECKED: no promtool on PATH (apt-get install prometheus); ${ALERTS} was not run through promtool`);

describe.skipIf(!promtool)('promtool', () => {
  const run = promisify(execFile);
  it('accepts the alert rules and the Prometheus configuration', async () => {
    const rules = await run('promtool', ['check', 'rules', ALERTS], { cwd: root });
    expect(rules.stdout).toContain('SUCCESS: 9 rules found');
    await run('promtool', ['check', 'config', 'config/prometheus/prometheus.yml'], { cwd: root });
  });

  it("passes the rules' unit tests (each alert fires when it should, and only then)", async () => {
    const tested = await run('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: path.join(root, 'config/prometheus') });
    expect(tested.stdout).toContain('SUCCESS');
  });
});

/** Every PromQL expression the rules and the dashboard hold. */
function queries(): { where: string; expr: string }[] {
  const rules = (parse(read(ALERTS)) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((group) => group.rules);
  const dashboard = JSON.parse(read(DASHBOARD)) as { panels: { title: string; targets?: { expr: string }[] }[] };
  return [
    ...rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })),
    ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr }))),
  ];
}

describe('the rules and the dashboard', () => {
  const { setup } = useLinkid();

  it('query only metrics /metrics exports, with labels those metrics have', async () => {
    const { linkid } = await setup();
    const metrics = await scrape(linkid.issuer);
    const all = queries();
    expect(all.length).toBeGreaterThan(20);
    const labelsOf = (name: string) =>
      new Set(
        [...metrics.text.matchAll(new RegExp(`^${name}\\{([^}]*)\\}`, 'gm'))].flatMap(([, labels]) =>
          [...labels!.matchAll(/(\w+)="/g)].map(([, label]) => label),
        ),
      );
    for (const { where, expr } of all) {
      const names = [...expr.matchAll(/\b(linkid_[a-z0-9_]+|process_[a-z0-9_]+|nodejs_[a-z0-9_]+)\b/g)].map(([, name]) => name!);
      expect(names.length, `${where} queries no linkid metric: ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(metrics.names.has(name), `${where} queries ${name}, which /metrics does not export`).toBe(true);
      for (const [, name, selector] of expr.matchAll(/\b(linkid_[a-z0-9_]+)\{([^}]*)\}/g)) {
        const known = labelsOf(name!);
        for (const [, label] of selector!.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) expect(known.has(label), `${where}: ${name} has no label ${label}`).toBe(true);
      }
    }
    // Reason codes the rules single out are reason codes linkid has.
    for (const [, values] of read(ALERTS).matchAll(/reason=~"([^"]+)"/g)) {
      for (const reason of values!.split('|')) expect(metrics.value('linkid_refusals_total', { reason }), `unknown reason ${reason}`).toBe(0);
    }
  });

  it('are what docker-compose provisions Prometheus and Grafana with', () => {
    const compose = parse(read('docker-compose.yml')) as {
      services: Record<string, { image?: string; volumes?: string[]; environment?: Record<string, string> }>;
      'x-linkid': { environment: Record<string, string> };
    };
    const mounts = (service: string) => (compose.services[service]?.volumes ?? []).map((volume) => volume.split(':').slice(0, 2));
    for (const service of ['prometheus', 'grafana']) expect(compose.services[service]?.image, service).toBeTruthy();
    for (const [source] of [...mounts('prometheus'), ...mounts('grafana')])
      expect(fs.existsSync(path.join(root, source!)), `${source} is mounted but missing`).toBe(true);
    expect(mounts('prometheus')).toContainEqual(['./config/prometheus/alerts.yml', '/etc/prometheus/alerts.yml']);
    expect(mounts('grafana')).toContainEqual([`./${DASHBOARD}`, '/var/lib/grafana/dashboards/linkid.json']);

    // Prometheus scrapes every linkid service on the METRICS_PORT they are given.
    const port = compose['x-linkid'].environment.METRICS_PORT;
    expect(port).toMatch(/^\d+$/);
    const prometheus = parse(read('config/prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const linkidServices = Object.keys(compose.services).filter((name) => name.startsWith('linkid-'));
    expect(prometheus.scrape_configs[0]?.static_configs[0]?.targets.sort()).toEqual(linkidServices.map((name) => `${name}:${port}`).sort());
    expect(prometheus.rule_files).toEqual(['alerts.yml']);

    // Grafana's provisioned data source is the one every panel names.
    const datasource = (parse(read('config/grafana/provisioning/datasources.yml')) as { datasources: { uid: string; url: string }[] }).datasources[0]!;
    expect(datasource.url).toBe('http://prometheus:9090');
    const dashboard = JSON.parse(read(DASHBOARD)) as { panels: { datasource: { uid: string } }[] };
    for (const panel of dashboard.panels.filter((candidate) => candidate.datasource)) expect(panel.datasource.uid).toBe(datasource.uid);
  });

  it('are backed by the Metrics section of docs/audit-and-metrics.md, which lists every linkid_* metric and no other', async () => {
    const { linkid } = await setup();
    const exported = new Set([...(await scrape(linkid.issuer)).text.matchAll(/^# TYPE (linkid_[a-z0-9_]+) /gm)].map(([, name]) => name));
    const doc = read('docs/audit-and-metrics.md');
    const start = doc.indexOf('\n## Metrics\n');
    expect(start, 'docs/audit-and-metrics.md has a "## Metrics" section').toBeGreaterThanOrEqual(0);
    const end = doc.indexOf('\n## ', start + 1);
    const section = doc.slice(start, end === -1 ? undefined : end);
    // Rows "only with `WORKERS` above 1" are a cluster primary's own, checked in workers.test.ts.
    const rows = [...section.matchAll(/^\| `(linkid_[a-z0-9_]+)[^\n]*/gm)].filter(([row]) => !row.includes('only with `WORKERS` above 1'));
    const listed = new Set(rows.map(([, name]) => name));
    expect([...listed].sort()).toEqual([...exported].sort());
  });
});
