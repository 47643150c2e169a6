// Loaded into a linkid process with `node --import` by the bench's step breakdown (bench/scenarios/
// steps.ts), never by linkid itself. Each request the bench sends carries `x-bench-step: NAME`;
// this module adds the process's CPU (process.cpuUsage: every thread) and its main thread's busy
// time (perf_hooks' event-loop utilisation) from the request's arrival to its answer's last byte
// to that step, and what the process spends between that answer and the next request to
// "NAME, after the answer" (for the email form: sending its mail). Sound only when requests come
// one at a time, as the breakdown sends them. It also counts the SQLite statements each step runs,
// by their SQL, to say where a step's store work goes. SIGUSR2 writes the totals to STEP_CPU_FILE.
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

interface Mark {
  readonly cpu: NodeJS.CpuUsage;
  readonly elu: EventLoopUtilization;
}
interface Totals {
  cpuUs: number;
  busyUs: number;
  count: number;
  statements: Record<string, number>;
}

const file = process.env.STEP_CPU_FILE;
if (!file) throw new Error('step-cpu: STEP_CPU_FILE is not set');
const totals = new Map<string, Totals>();
const mark = (): Mark => ({ cpu: process.cpuUsage(), elu: performance.eventLoopUtilization() });
let lastAnswer: { step: string; at: Mark } | undefined;
/** The step whose request is being answered, or whose answer was the last (statements after it count there too). */
let current: string | undefined;

const totalsOf = (step: string): Totals => {
  let total = totals.get(step);
  if (!total) {
    total = { cpuUs: 0, busyUs: 0, count: 0, statements: {} };
    totals.set(step, total);
  }
  return total;
};

// better-sqlite3's statements share one prototype: count every run, get, all and iterate by its SQL.
type Statement = { readonly source: string } & Record<'run' | 'get' | 'all' | 'iterate', (...args: unknown[]) => unknown>;
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => { prepare(sql: string): Statement; close(): void };
const probe = new Database(':memory:');
const statementPrototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Statement;
probe.close();
for (const method of ['run', 'get', 'all', 'iterate'] as const) {
  const original = statementPrototype[method];
  statementPrototype[method] = function (this: Statement, ...args: unknown[]) {
    if (current) {
      const counts = totalsOf(current).statements;
      counts[this.source] = (counts[this.source] ?? 0) + 1;
    }
    return original.apply(this, args);
  };
}

function add(step: string, from: Mark, to: Mark): void {
  const total = totalsOf(step);
  total.cpuUs += to.cpu.user - from.cpu.user + (to.cpu.system - from.cpu.system);
  total.busyUs += performance.eventLoopUtilization(to.elu, from.elu).active * 1000;
  total.count += 1;
}

// eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the server as `this`
const emit = http.Server.prototype.emit as (this: http.Server, event: string, ...args: unknown[]) => boolean;
http.Server.prototype.emit = function (this: http.Server, event: string, ...args: unknown[]) {
  if (event === 'request') {
    const [req, res] = args as [http.IncomingMessage, http.ServerResponse];
    const step = req.headers['x-bench-step'];
    if (typeof step === 'string') {
      const start = mark();
      if (lastAnswer) add(`${lastAnswer.step}, after the answer`, lastAnswer.at, start);
      lastAnswer = undefined;
      current = step;
      res.once('finish', () => {
        const end = mark();
        add(step, start, end);
        lastAnswer = { step, at: end };
        current = `${step}, after the answer`;
      });
    }
  }
  return emit.call(this, event, ...args);
} as typeof http.Server.prototype.emit;

process.on('SIGUSR2', () => {
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(Object.fromEntries(totals)));
  fs.renameSync(`${file}.tmp`, file);
});
