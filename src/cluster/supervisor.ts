// Keeps WORKERS processes serving. Forks them; the start succeeds when every one listens and
// fails with the first one's reason (relayed as one line). After that, a worker that dies is
// logged and replaced, after a delay that doubles while replacements keep dying young, so a crash
// loop (a store gone, a full disk) costs little CPU and log. stop() asks every worker to finish
// what it has in hand, the way a single process shuts down, and waits for them to exit.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../kernel/ports.js';
import { isMessage } from './messages.js';
import { StartFailure } from './start-failure.js';

/** A replacement that served this long before dying starts the back-off afresh. */
const STABLE_AFTER_MS = 30_000;
const FIRST_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 30_000;

/** The wait before starting a replacement for the `deaths`-th worker in a row that died young. */
export function restartDelay(deaths: number): number {
  return Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** Math.max(0, deaths - 1));
}

interface Slot {
  worker?: Worker;
  listeningSince?: number;
  /** Workers of this slot that died in a row, each before it had served STABLE_AFTER_MS. */
  deaths: number;
  restartTimer?: NodeJS.Timeout;
}

export interface Supervisor {
  /** Resolves when every worker listens; rejects with a StartFailure naming the first that could not. */
  start(): Promise<void>;
  /** Sends SIGTERM to every worker and resolves when all have exited: true if each exited cleanly. */
  stop(): Promise<boolean>;
  /** The workers serving requests now. */
  listening(): Worker[];
}

export interface SupervisorOptions {
  readonly count: number;
  readonly logger: Logger;
  readonly onRestart?: () => void;
}

export function createSupervisor({ count, logger, onRestart }: SupervisorOptions): Supervisor {
  const slots: Slot[] = Array.from({ length: count }, () => ({ deaths: 0 }));
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  let started: { resolve(): void; reject(error: Error): void } | undefined;
  let stopped: (() => void) | undefined;
  let allClean = true;

  const live = () => slots.flatMap((slot) => (slot.worker ? [slot.worker] : []));

  const failStart = (reason: string) => {
    if (phase !== 'starting') return;
    phase = 'stopping';
    for (const worker of live()) worker.process.kill('SIGTERM');
    started?.reject(new StartFailure(reason));
  };

  const fork = (slot: Slot) => {
    slot.restartTimer = undefined;
    const worker = cluster.fork();
    slot.worker = worker;
    slot.listeningSince = undefined;
    let reason: string | undefined;
    worker.on('message', (message: unknown) => {
      if (!isMessage(message, 'start-failed')) return;
      reason = message.message;
      if (phase === 'starting') failStart(reason);
      else logger.error({ worker: worker.id, pid: worker.process.pid, reason }, 'worker could not start');
    });
    worker.on('listening', () => {
      slot.listeningSince = Date.now();
      logger.info({ worker: worker.id, pid: worker.process.pid }, 'worker listening');
      if (phase === 'starting' && slots.every((each) => each.listeningSince !== undefined)) {
        phase = 'running';
        started?.resolve();
      }
    });
    worker.on('exit', (code, signal) => {
      slot.worker = undefined;
      const served = slot.listeningSince === undefined ? 0 : Date.now() - slot.listeningSince;
      if (phase === 'stopping') {
        // A worker stopped before it listened had nothing in hand: SIGTERM's default exit is clean for it.
        if (code !== 0 && !(signal === 'SIGTERM' && slot.listeningSince === undefined)) allClean = false;
        if (live().length === 0) stopped?.();
        return;
      }
      if (phase === 'starting') {
        // The exit can overtake the worker's last message (its reason) on the way in: wait a moment for it.
        setTimeout(() => failStart(reason ?? `linkid failed to start: worker ${worker.id} exited (${signal ?? `code ${code}`})`), 200);
        return;
      }
      slot.deaths = served >= STABLE_AFTER_MS ? 1 : slot.deaths + 1;
      const delayMs = restartDelay(slot.deaths);
      logger.error({ worker: worker.id, pid: worker.process.pid, exitCode: code, signal, restartInMs: delayMs }, 'worker exited; starting another');
      onRestart?.();
      slot.restartTimer = setTimeout(() => fork(slot), delayMs);
    });
  };

  return {
    start() {
      return new Promise<void>((resolve, reject) => {
        started = { resolve, reject };
        for (const slot of slots) fork(slot);
      });
    },
    stop() {
      phase = 'stopping';
      for (const slot of slots) clearTimeout(slot.restartTimer);
      return new Promise<boolean>((resolve) => {
        stopped = () => resolve(allClean);
        if (live().length === 0) stopped();
        for (const worker of live()) worker.process.kill('SIGTERM');
      });
    },
    listening: () => slots.flatMap((slot) => (slot.worker && slot.listeningSince !== undefined && slot.worker.isConnected() ? [slot.worker] : [])),
  };
}
