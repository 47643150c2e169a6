// Turns the runs into what people read: medians over the repeats, linkid/bare ratios, a Markdown
// table (the one docs/performance.md shows), the issue's targets each marked met or not
// met, and results.json with every raw repeat. Numbers never fail the bench; only a scenario that
// could not run does.
import type { Figure, ScenarioResult } from './scenario.ts';

export const median = (values: readonly number[]): number => {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

export interface Summary {
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuUsPerOp: number;
  /** The most CPU other processes used during any of the runs, in cores. */
  readonly otherCoresMax: number;
  readonly extra: Record<string, number>;
}

export function summarize(figures: readonly Figure[]): Record<string, Summary> {
  const byServer = new Map<string, Figure[]>();
  for (const figure of figures) byServer.set(figure.server, [...(byServer.get(figure.server) ?? []), figure]);
  return Object.fromEntries(
    [...byServer].map(([server, runs]) => {
      const extraKeys = [...new Set(runs.flatMap((run) => Object.keys(run.extra ?? {})))];
      return [
        server,
        {
          opsPerSecond: median(runs.map((run) => run.opsPerSecond)),
          p50Ms: median(runs.map((run) => run.p50Ms)),
          p99Ms: median(runs.map((run) => run.p99Ms)),
          cpuUsPerOp: median(runs.map((run) => run.cpuUsPerOp)),
          otherCoresMax: Math.max(...runs.map((run) => run.otherCores)),
          extra: Object.fromEntries(extraKeys.map((key) => [key, median(runs.map((run) => run.extra?.[key] ?? Number.NaN))])),
        },
      ];
    }),
  );
}

export interface Ratios {
  /** linkid's median throughput / bare's. */
  readonly throughput: number;
  /** linkid's median server CPU per operation / bare's. */
  readonly cpuPerOp: number;
}

export function ratios(summary: Record<string, Summary>, numerator: string, denominator: string): Ratios | undefined {
  const top = summary[numerator];
  const bottom = summary[denominator];
  if (!top || !bottom) return undefined;
  return { throughput: top.opsPerSecond / bottom.opsPerSecond, cpuPerOp: top.cpuUsPerOp / bottom.cpuUsPerOp };
}

export interface Reported extends ScenarioResult {
  readonly summary: Record<string, Summary>;
  readonly ratios?: Ratios;
  /** The bare provider on linkid's store / the bare provider in memory: what durable storage alone costs. */
  readonly storeRatios?: Ratios;
  /** linkid / the bare provider on a plain SQLite table: the fair anchor for store-bound work (issue 28). */
  readonly anchorRatios?: Ratios;
}

export function reported(result: ScenarioResult): Reported {
  const summary = summarize(result.figures);
  const linkidVsBare = ratios(summary, 'linkid', 'bare');
  const storeVsMemory = ratios(summary, 'bare-store', 'bare');
  const linkidVsPlain = ratios(summary, 'linkid', 'bare-sqlite');
  return {
    ...result,
    summary,
    ...(linkidVsBare ? { ratios: linkidVsBare } : {}),
    ...(storeVsMemory ? { storeRatios: storeVsMemory } : {}),
    ...(linkidVsPlain ? { anchorRatios: linkidVsPlain } : {}),
  };
}

const fixed = (value: number | undefined, digits: number) => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits));
const rate = (summary: Summary | undefined) => (summary ? `${fixed(summary.opsPerSecond, summary.opsPerSecond < 100 ? 1 : 0)}/s` : '–');
const cpu = (summary: Summary | undefined) => (summary ? `${fixed(summary.cpuUsPerOp, 0)} µs` : '–');
const other = (summaries: readonly (Summary | undefined)[]) => fixed(Math.max(...summaries.map((summary) => summary?.otherCoresMax ?? 0)), 2);

/** One table row per figure people compare. */
function rows(result: Reported): string[][] {
  const { summary } = result;
  const linkid = summary.linkid;
  const bare = summary.bare;
  const hello = summary.hello;
  const bareStore = summary['bare-store'];
  const ratio = result.ratios;
  switch (result.name) {
    case 'email-form-open':
      return [
        [
          result.title,
          `p50 ${fixed(linkid?.p50Ms, 1)} / p99 ${fixed(linkid?.p99Ms, 1)} ms; email in outbox p50 ${fixed(linkid?.extra.mailP50Ms, 1)} / p99 ${fixed(linkid?.extra.mailP99Ms, 1)} ms`,
          `p50 ${fixed(bare?.p50Ms, 1)} / p99 ${fixed(bare?.p99Ms, 1)} ms`,
          '',
          '',
          '',
          `${cpu(linkid)} / ${cpu(bare)} = ${fixed(ratio?.cpuPerOp, 2)}`,
          other([linkid, bare]),
        ],
      ];
    case 'slow-mail': {
      const only = summary.linkid;
      return [
        [
          result.title,
          `${fixed(only?.extra.emailsPerSecond, 1)} emails/s at ${fixed(only?.extra.offeredPerSecond, 0)}/s offered; wait p50 ${fixed(only?.extra.waitP50Ms, 0)} / p99 ${fixed(only?.extra.waitP99Ms, 0)} ms; ${fixed(only?.extra.emailsNotYetSent, 0)} not sent 2 s after; full sign-ins ${fixed(only?.extra.signInsPerSecond, 1)}/s (${fixed((only?.extra.signInCpuUs ?? Number.NaN) / 1000, 1)} ms CPU each, p50 ${fixed(only?.extra.signInP50Ms, 0)} ms)`,
          '',
          '',
          '',
          '',
          '',
          other([only]),
        ],
      ];
    }
    case 'steps': {
      const linkid = summary.linkid;
      const steps = (result.facts?.steps ?? []) as string[];
      const text = steps.map((step) => `${step} ${fixed((linkid?.extra[`${step} CPU µs`] ?? Number.NaN) / 1000, 2)} ms`).join('; ');
      return [[result.title, `${text}; total ${fixed((linkid?.cpuUsPerOp ?? Number.NaN) / 1000, 2)} ms`, '', '', '', '', '', '']];
    }
    case 'rss': {
      const checkpoints = (result.facts?.checkpoints ?? []) as { sessions: number; rssMiB: number }[];
      const text = checkpoints.map((point) => `${point.sessions}: ${fixed(point.rssMiB, 0)} MiB`).join(', ');
      return [[result.title, text, '', '', '', '', '', other(Object.values(summary))]];
    }
    case 'workers': {
      const processes = (result.facts?.processes ?? {}) as Record<string, number>;
      return ['discovery', 'email form'].map((what) => {
        const names = Object.keys(processes);
        const cells = names.map((name) => `${name} (${processes[name]} proc.): ${rate(summary[`${name} ${what}`])}`);
        const first = names[0];
        const last = names.at(-1);
        const scale = first && last ? ratios(summary, `${last} ${what}`, `${first} ${what}`) : undefined;
        return [
          `workers: ${what}`,
          cells.join(', '),
          '',
          '',
          '',
          scale ? `${last} / ${first} = ${fixed(scale.throughput, 2)}` : '',
          '',
          other(Object.values(summary)),
        ];
      });
    }
    default:
      return [
        [
          result.title,
          rate(linkid),
          rate(bare),
          bareStore ? `${rate(bareStore)} (${fixed(result.storeRatios?.throughput, 2)}x bare)` : '',
          hello ? rate(hello) : '',
          fixed(ratio?.throughput, 2),
          `${cpu(linkid)} / ${cpu(bare)} = ${fixed(ratio?.cpuPerOp, 2)}`,
          other([linkid, bare, bareStore, hello]),
        ],
      ];
  }
}

/** The plain-SQLite anchor's cells for a row: its rate, and linkid against it (throughput; CPU per op). */
function anchorCells(result: Reported): [string, string] {
  const plain = result.summary['bare-sqlite'];
  const anchor = result.anchorRatios;
  if (!plain || !anchor) return ['', ''];
  return [rate(plain), `${fixed(anchor.throughput, 2)} (CPU ${fixed(anchor.cpuPerOp, 2)})`];
}

export function table(results: readonly Reported[]): string {
  const header = [
    'scenario',
    'linkid',
    'bare oidc-provider',
    "bare on linkid's store",
    'bare on plain SQLite',
    'Koa hello',
    'linkid / bare',
    'linkid / plain SQLite (CPU per op)',
    'CPU per op: linkid / bare',
    'other CPU (cores, max)',
  ];
  const withAnchor = (result: Reported) =>
    rows(result).map((cells) => {
      const [plain, anchor] = anchorCells(result);
      return [...cells.slice(0, 4), plain, ...cells.slice(4, 6), anchor, ...cells.slice(6)];
    });
  const lines = [header, header.map(() => '---'), ...results.flatMap(withAnchor)];
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** undefined: not applicable in this run (said why in `measured`). */
  readonly met: boolean | undefined;
}

export function checkTargets(results: readonly Reported[], freeServerCores: number): TargetCheck[] {
  const find = (name: string) => results.find((result) => result.name === name);
  const checks: TargetCheck[] = [];
  // Issue 28: where the store plays no part, against the engine in memory; where it does, against
  // the engine on a plain durable store (bench/servers/plain-sqlite-adapter.ts), like with like.
  const ratioTarget = (name: string, label: string, minimum: number, against: 'bare' | 'bare-sqlite') => {
    const result = find(name);
    const ratio = against === 'bare' ? result?.ratios : result?.anchorRatios;
    if (!ratio) return;
    const anchor = against === 'bare' ? 'the bare engine in memory' : 'the bare engine on plain SQLite';
    checks.push({
      target: `${label} ≥ ${minimum}x ${anchor}`,
      measured: `${ratio.throughput.toFixed(2)}x (CPU per op ${ratio.cpuPerOp.toFixed(2)}x)`,
      met: ratio.throughput >= minimum,
    });
  };
  ratioTarget('discovery', 'discovery', 0.9, 'bare');
  ratioTarget('jwks', 'JWKS', 0.9, 'bare');
  ratioTarget('introspection', 'introspection', 1.0, 'bare-sqlite');
  ratioTarget('refresh', 'refresh grant', 0.95, 'bare-sqlite');
  ratioTarget('sign-in', "full sign-in (against the engine's dev-login sign-in)", 0.8, 'bare-sqlite');
  const open = find('email-form-open')?.summary.linkid;
  if (open) {
    checks.push({ target: 'email form POST p99 < 50 ms at 100/s open loop', measured: `${open.p99Ms.toFixed(1)} ms`, met: open.p99Ms < 50 });
    const mail = open.extra.mailP50Ms;
    if (mail !== undefined) checks.push({ target: 'form POST to email in the outbox p50 < 50 ms', measured: `${mail.toFixed(1)} ms`, met: mail < 50 });
  }
  // A Postmark send: linkid's transport alone (postmark-send); the steps' "mail send" also renders and queues the email.
  const send = find('postmark-send')?.summary.linkid?.cpuUsPerOp;
  if (send !== undefined) {
    checks.push({
      target: 'a Postmark send ≤ 1 ms of CPU',
      measured: `${(send / 1000).toFixed(2)} ms (postmark-send: the transport's CPU per send)`,
      met: send <= 1000,
    });
  }
  const slow = find('slow-mail')?.summary.linkid?.extra;
  if (slow?.signInsPerSecond !== undefined) {
    checks.push({
      target: '≥ 60 full sign-ins/s per instance with a 150 ms provider',
      measured: `${slow.signInsPerSecond.toFixed(1)}/s (${((slow.signInCpuUs ?? 0) / 1000).toFixed(1)} ms of CPU per sign-in)`,
      met: slow.signInsPerSecond >= 60,
    });
  }
  if (slow?.emailsPerSecond !== undefined) {
    checks.push({
      target: '≥ 60 emails/s per instance with a 150 ms provider (issue 11)',
      measured: `${slow.emailsPerSecond.toFixed(1)}/s`,
      met: slow.emailsPerSecond >= 60,
    });
  }
  const checkpoints = (find('rss')?.facts?.checkpoints ?? []) as { sessions: number; rssMiB: number }[];
  const [, first, ...rest] = checkpoints;
  const last = rest.at(-1);
  if (first && last) {
    const growth = last.rssMiB / first.rssMiB - 1;
    checks.push({
      target: `RSS flat (≤ 10% growth) from ${first.sessions} to ${last.sessions} sessions${first.sessions === 10000 && last.sessions === 50000 ? '' : " (the issue asks 10k to 50k, the full run's default)"}`,
      measured: `${first.rssMiB.toFixed(0)} → ${last.rssMiB.toFixed(0)} MiB (${(growth * 100).toFixed(0)}%)`,
      met: growth <= 0.1,
    });
  }
  const workers = find('workers');
  if (workers) {
    const processes = (workers.facts?.processes ?? {}) as Record<string, number>;
    const names = Object.keys(processes);
    const [one, many] = [names[0], names.at(-1)];
    const scale = one && many ? ratios(workers.summary, `${many} email form`, `${one} email form`) : undefined;
    const n = many ? (processes[many] ?? 1) - 1 : 0;
    if (scale && one && many) {
      const applies = n > 1 && freeServerCores >= n;
      checks.push({
        target: `N workers ≥ 0.8N x one worker (email form, N = ${many.replace('WORKERS=', '')})`,
        measured: `${scale.throughput.toFixed(2)}x with ${processes[many]} linkid processes${applies ? '' : n <= 1 ? ': this build ran no workers' : `: needs ${n} cores free for the servers, this machine has ${freeServerCores}`}`,
        met: applies ? scale.throughput >= 0.8 * n : undefined,
      });
    }
  }
  return checks;
}

/** Keycloak's published sizing: one vCPU for each so many requests per second. */
export const KEYCLOAK_SIZING = {
  source: 'https://www.keycloak.org/high-availability/single-cluster/concepts-memory-and-cpu-sizing',
  perVcpu: { 'sign-in': ['password-based logins', 15], refresh: ['refresh-token requests', 120] },
} as const;

/** Each server's figure as operations per second for one busy core (1 / CPU per op), beside Keycloak's sizing. */
export function perVcpuLines(results: readonly Reported[]): string {
  return results
    .flatMap((result) => {
      const keycloak = (KEYCLOAK_SIZING.perVcpu as Readonly<Record<string, readonly [string, number]>>)[result.name];
      if (!keycloak) return [];
      const servers = ['linkid', 'bare-sqlite', 'bare'].filter((server) => result.summary[server]);
      const figures = servers.map((server) => `${server} ${fixed(1e6 / (result.summary[server] as Summary).cpuUsPerOp, 0)}/s`).join(', ');
      const linkid = result.summary.linkid;
      const lead = linkid ? ` (linkid ${fixed(1e6 / linkid.cpuUsPerOp / keycloak[1], 1)}x)` : '';
      return [`  ${result.title}: ${figures} per vCPU; Keycloak sizes ${keycloak[1]} ${keycloak[0]}/s per vCPU${lead}`];
    })
    .join('\n');
}

export const targetLines = (checks: readonly TargetCheck[]) =>
  checks.map((check) => `  ${check.met === undefined ? 'n/a    ' : check.met ? 'met    ' : 'not met'}  ${check.target}: ${check.measured}`).join('\n');

/**
 * What durable storage alone costs the engine, for the scenarios that use the store: the bare
 * provider on linkid's store against the bare provider in memory. A ratio target above this one
 * cannot be met by anything linkid does outside its store.
 */
export const storeLines = (results: readonly Reported[]) =>
  results
    .filter((result) => result.storeRatios)
    .map((result) => `  ${result.title}: ${fixed(result.storeRatios?.throughput, 2)}x bare (CPU per op ${fixed(result.storeRatios?.cpuPerOp, 2)}x)`)
    .join('\n');
