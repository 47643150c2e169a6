// Where a sign-in's server CPU goes, step by step (issue 28): one sign-in at a time against a linkid
// that sends its mail through the Postmark stand-in (answering at once) and carries the bench-only
// step meter (servers/step-cpu.ts, loaded with `node --import`). Each request is tagged with its
// step; the meter adds up the CPU from its arrival to its answer, and the mail send is what the
// process spends after the email form's answer until the next request, which waits for the mail
// to reach the stand-in. Reported per sign-in: the steps, and their sum against the CPU per
// sign-in of the closed-loop sign-in scenario.
import fs from 'node:fs';
import path from 'node:path';
import { Browser, formOn, type Page, type Transport } from '../../test/support/browser.ts';
import { keptAlive } from '../http-client.ts';
import { startLinkid } from '../linkid.ts';
import { freePort, startServer } from '../processes.ts';
import { freshAddress, type Context, type ScenarioResult } from '../scenario.ts';
import { openInteraction, toApp, type Target } from '../sign-in.ts';

const TOKEN = 'bench-postmark-token';
const STEPS = ['authorize', 'email form', 'email form, after the answer', 'confirm', 'consent', 'token'] as const;
/** How each step is named in the report: the mail is sent after the email form's answer. */
const LABELS: Readonly<Record<(typeof STEPS)[number], string>> = {
  authorize: 'authorize and email page',
  'email form': 'email form',
  'email form, after the answer': 'mail send',
  confirm: 'link page and confirm',
  consent: 'consent',
  token: 'token exchange',
};

type Totals = Record<string, { cpuUs: number; busyUs: number; count: number; statements: Record<string, number> }>;

function expect200or303(page: Page, what: string): void {
  if (page.status !== 200 && page.status !== 303) throw new Error(`${what}: got ${page.status}\n${page.body.slice(0, 400)}`);
}

export async function stepBreakdown(ctx: Context): Promise<ScenarioResult> {
  const signIns = ctx.settings.quick ? 10 : 200;
  const warmUp = ctx.settings.quick ? 3 : 30;
  const port = await freePort();
  const providerUrl = `http://127.0.0.1:${port}`;
  const provider = await startServer({
    name: 'steps-postmark',
    args: [path.join(import.meta.dirname, '../servers/slow-postmark.ts')],
    env: { PORT: String(port), POSTMARK_TOKEN: TOKEN, DELAY_MS: '0' },
    cpus: ctx.cpus.load,
    url: providerUrl,
    readyUrl: `${providerUrl}/received`,
    logDir: ctx.logDir,
  });
  const stepFile = path.join(ctx.logDir, 'step-cpu.json');
  const linkid = await startLinkid({
    name: 'linkid-steps',
    cpus: ctx.cpus.servers,
    logDir: ctx.logDir,
    env: { POSTMARK_SERVER_TOKEN: TOKEN, POSTMARK_API_URL: providerUrl, STEP_CPU_FILE: stepFile },
    nodeOptions: ['--import', path.join(import.meta.dirname, '../servers/step-cpu.ts')],
  });
  const readTotals = async (): Promise<Totals> => {
    fs.rmSync(stepFile, { force: true });
    process.kill(linkid.pid, 'SIGUSR2');
    for (let i = 0; i < 200 && !fs.existsSync(stepFile); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    return JSON.parse(fs.readFileSync(stepFile, 'utf8')) as Totals;
  };
  try {
    const client = linkid.createClient('bench-steps');
    const target: Target = { kind: 'linkid', url: linkid.url, client };
    let linksSeen = 0;
    const nextLink = async (email: string): Promise<string> => {
      for (let i = 0; i < 1000; i += 1) {
        const links = (await (await fetch(`${providerUrl}/links?after=${linksSeen}`)).json()) as [string, string][];
        const found = links.find(([to]) => to === email);
        if (found) {
          linksSeen += links.length;
          return found[1];
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      throw new Error(`no mail to ${email} at the Postmark stand-in`);
    };
    const signIn = async () => {
      const step = { name: 'authorize' };
      const tagged: Transport = (url, request) => {
        request.headers.set('x-bench-step', step.name);
        return keptAlive(url, request);
      };
      const browser = new Browser('linkid-bench', tagged);
      const email = freshAddress('steps');
      const open = await openInteraction(target, 'openid email', undefined, browser);
      step.name = 'email form';
      const answered = await browser.request(open.action, { form: { ...open.hidden, email } });
      expect200or303(answered, 'email form');
      const link = await nextLink(email);
      step.name = 'confirm';
      const confirm = await browser.request(link);
      const form = formOn(confirm, /\/verify$/);
      const finished = await browser.request(form.action, { form: form.hidden });
      step.name = 'consent';
      const callback = await toApp(target, browser, finished);
      step.name = 'token';
      const code = new URL(callback).searchParams.get('code') ?? '';
      const basic = Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64');
      const tokens = await browser.request(`${linkid.url}/token`, {
        form: { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: open.verifier },
        headers: { authorization: `Basic ${basic}` },
        api: true,
      });
      if (tokens.status !== 200) throw new Error(`token: got ${tokens.status}\n${tokens.body.slice(0, 400)}`);
    };
    for (let i = 0; i < warmUp; i += 1) await signIn();
    const before = await readTotals();
    for (let i = 0; i < signIns; i += 1) await signIn();
    const after = await readTotals();
    const perSignIn = (step: string, key: 'cpuUs' | 'busyUs') => ((after[step]?.[key] ?? 0) - (before[step]?.[key] ?? 0)) / signIns;
    const extra: Record<string, number> = {};
    for (const step of STEPS) {
      extra[`${LABELS[step]} CPU µs`] = perSignIn(step, 'cpuUs');
      extra[`${LABELS[step]} busy µs`] = perSignIn(step, 'busyUs');
    }
    const total = STEPS.reduce((sum, step) => sum + perSignIn(step, 'cpuUs'), 0);
    // SQLite statements per sign-in, by step and by SQL (every step, including what runs after each answer).
    const bySql = new Map<string, number>();
    const byStep: Record<string, Record<string, number>> = {};
    const short = (sql: string) => sql.replace(/\s+/g, ' ').trim().slice(0, 160);
    for (const step of Object.keys(after)) {
      let count = 0;
      for (const [sql, n] of Object.entries(after[step]?.statements ?? {})) {
        const runs = (n - (before[step]?.statements[sql] ?? 0)) / signIns;
        if (runs === 0) continue;
        count += runs;
        bySql.set(sql, (bySql.get(sql) ?? 0) + runs);
        (byStep[step] ??= {})[short(sql)] = runs;
      }
      extra[`${step} statements`] = count;
    }
    const statements = [...bySql].sort((a, b) => b[1] - a[1]).map(([sql, n]) => ({ perSignIn: n, sql: short(sql) }));
    ctx.log(`  ${STEPS.map((step) => `${LABELS[step]} ${(perSignIn(step, 'cpuUs') / 1000).toFixed(2)} ms`).join(', ')}; total ${(total / 1000).toFixed(2)} ms`);
    ctx.log(
      `  SQLite statements per sign-in: ${statements.reduce((sum, { perSignIn: n }) => sum + n, 0).toFixed(1)}; the most run: ${statements
        .slice(0, 8)
        .map(({ perSignIn: n, sql }) => `${n.toFixed(1)}× ${sql.slice(0, 70)}`)
        .join(' | ')}`,
    );
    return {
      name: 'steps',
      title: 'sign-in CPU by step',
      op: 'sign-in',
      note:
        `${signIns} sign-ins one at a time (after ${warmUp} to warm up) against a linkid sending through a Postmark stand-in that answers at once; ` +
        'per step, the CPU of the linkid process from each request of the step arriving to its answer sent (process.cpuUsage, every thread; busy = perf_hooks event-loop utilisation, main thread); ' +
        "mail send = the CPU after the email form's answer until the next request, which waits for the mail to reach the stand-in",
      figures: [
        {
          server: 'linkid',
          repeat: 0,
          opsPerSecond: Number.NaN,
          p50Ms: Number.NaN,
          p99Ms: Number.NaN,
          cpuUsPerOp: total,
          otherCores: Number.NaN,
          ops: signIns,
          seconds: 0,
          extra,
        },
      ],
      facts: { steps: STEPS.map((step) => LABELS[step]), statements, statementsByStep: byStep },
    };
  } finally {
    await linkid.stop(true);
    await provider.stop();
  }
}
