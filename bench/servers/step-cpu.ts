// Loaded into a linkid process with `node --import` by the bench's step breakdown (bench/scenarios/
// steps.ts), never by linkid itself. Each request the bench sends carries `x-bench-step: NAME`;
// this module adds the process's CPU (process.cpuUsage: every thread) and its main thread's busy
// time (perf_hooks' event-loop utilisation) from the request's arrival to its answer's last byte
// to that step, and what the process spends between that answer and the next request to
// "NAME, after the answer" (for the email form: sending its mail). Sound only when requests come
// one at a time, as the breakdown sends them. SIGUSR2 writes the totals to STEP_CPU_FILE.
import fs from 'node:fs';
import http from 'node:http';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

interface Mark {
  readonly cpu: NodeJS.CpuUsage;
  readonly elu: EventLoopUtilization;
}
interface Totals {
  cpuUs: number;
  busyUs: number;
  count: number;
}

const file = process.env.STEP_CPU_FILE;
if (!file) throw new Error('step-cpu: STEP_CPU_FILE is not set');
const totals = new Map<string, Totals>();
const mark = (): Mark => ({ cpu: process.cpuUsage(), elu: performance.eventLoopUtilization() });
let lastAnswer: { step: string; at: Mark } | undefined;

function add(step: string, from: Mark, to: Mark): void {
  const total = totals.get(step) ?? { cpuUs: 0, busyUs: 0, count: 0 };
  total.cpuUs += to.cpu.user - from.cpu.user + (to.cpu.system - from.cpu.system);
  total.busyUs += performance.eventLoopUtilization(to.elu, from.elu).active * 1000;
  total.count += 1;
  totals.set(step, total);
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
      res.once('finish', () => {
        const end = mark();
        add(step, start, end);
        lastAnswer = { step, at: end };
      });
    }
  }
  return emit.call(this, event, ...args);
} as typeof http.Server.prototype.emit;

process.on('SIGUSR2', () => {
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(Object.fromEntries(totals)));
  fs.renameSync(`${file}.tmp`, file);
});
