// A figure taken while something else keeps the machine busy is noise, and the machine this runs on
// is shared. This reads /proc to tell, for one measured window, how much CPU went to processes that
// are not the bench's own (the load generator, the servers and their children), and how much the
// measured server itself spent per operation.
import fs from 'node:fs';

/** Linux reports CPU time in clock ticks of 1/100 s (USER_HZ) on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

function machineBusyTicks(): number {
  const [cpu = ''] = fs.readFileSync('/proc/stat', 'utf8').split('\n');
  // user nice system idle iowait irq softirq steal (guest time is already inside user). Interrupt
  // time is left out: it belongs to no process, and on loopback most of it is the bench's own traffic.
  const [user, nice, system, , , , , steal] = cpu.trim().split(/\s+/).slice(1).map(Number);
  return (user ?? 0) + (nice ?? 0) + (system ?? 0) + (steal ?? 0);
}

interface ProcStat {
  readonly ppid: number;
  /** Own user+system time plus that of children it has reaped. */
  readonly ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses; the fields after its closing one are fixed.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const field = (index: number) => Number(fields[index] ?? 0);
  return { ppid: field(1), ticks: field(11) + field(12) + field(13) + field(14) };
}

function allProcesses(): Map<number, ProcStat> {
  const found = new Map<number, ProcStat>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) found.set(Number(name), stat);
  }
  return found;
}

/** `root` and every process below it. */
function tree(processes: Map<number, ProcStat>, root: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of processes) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const result: number[] = [];
  const queue = processes.has(root) ? [root] : [];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    result.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return result;
}

const treeTicks = (processes: Map<number, ProcStat>, root: number) => tree(processes, root).reduce((sum, pid) => sum + (processes.get(pid)?.ticks ?? 0), 0);

/** Processes below `pid` (cluster workers below a primary, for instance). */
export function descendantCount(pid: number): number {
  return tree(allProcesses(), pid).length - 1;
}

export interface WindowUsage {
  readonly seconds: number;
  /** CPU used by processes outside the bench, in cores (1.0 = one core fully busy) over the window. */
  readonly otherCores: number;
  /** CPU used by the measured server and its children, in seconds. */
  readonly serverCpuSeconds: number;
}

/** Starts measuring a window; `stop()` ends it. `serverPid` is the process under load, if any. */
export function startWindow(serverPid: number | undefined): { stop(): WindowUsage } {
  const started = performance.now();
  const busy0 = machineBusyTicks();
  const before = allProcesses();
  const own0 = treeTicks(before, process.pid);
  const server0 = serverPid === undefined ? 0 : treeTicks(before, serverPid);
  return {
    stop() {
      const seconds = (performance.now() - started) / 1000;
      const busy = machineBusyTicks() - busy0;
      const after = allProcesses();
      const own = treeTicks(after, process.pid) - own0;
      const server = serverPid === undefined ? 0 : treeTicks(after, serverPid) - server0;
      return {
        seconds,
        otherCores: Math.max(0, (busy - own) / TICKS_PER_SECOND / seconds),
        serverCpuSeconds: Math.max(0, server / TICKS_PER_SECOND),
      };
    },
  };
}

/** Resident memory of one process, in MiB, from /proc/<pid>/status. */
export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}
