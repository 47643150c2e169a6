// linkid on every core: WORKERS=1 against WORKERS=N (node:cluster). Each linkid is fresh and may use
// every core, as several workers need them; the load generator keeps its own core, so on a small
// machine the workers and the load share cores and the figure understates what N free cores give.
// How many linkid processes really ran is counted (the process and its children), so a WORKERS
// value the build ignores shows as one process instead of passing for a scaling figure.
import { descendantCount } from '../cpu-usage.ts';
import { startLinkid } from '../linkid.ts';
import { Mailbox } from '../mailbox.ts';
import { closedLoop, hammer } from '../load.ts';
import { freshAddress, measured, rotated, type Context, type Figure, type ScenarioResult } from '../scenario.ts';
import { openInteraction, submitLogin, type OpenInteraction, type Target } from '../sign-in.ts';

export async function workers(ctx: Context): Promise<ScenarioResult> {
  const { settings } = ctx;
  const figures: Figure[] = [];
  const processes: Record<string, number> = {};
  for (let repeat = 0; repeat < settings.workerRepeats; repeat += 1) {
    for (const count of rotated(settings.workers, repeat)) {
      const name = `WORKERS=${count}`;
      const linkid = await startLinkid({ name: `linkid-workers-${count}`, cpus: ctx.cpus.all, logDir: ctx.logDir, env: { WORKERS: String(count) } });
      const mailbox = new Mailbox(linkid.dataDir);
      try {
        await new Promise((resolve) => setTimeout(resolve, 500));
        processes[name] = 1 + descendantCount(linkid.pid);
        const server = { name, pid: linkid.pid };
        const discovery = { url: `${linkid.url}/.well-known/openid-configuration` };
        await hammer(discovery, settings.connections, settings.warmupSeconds);
        const served = await measured(server, repeat, () => hammer(discovery, settings.connections, settings.seconds));
        figures.push({ ...served, server: `${name} discovery` });

        const target: Target = { kind: 'linkid', url: linkid.url, client: linkid.createClient('bench-workers'), mailbox };
        const opened: OpenInteraction[] = [];
        for (let i = 0; i < settings.saturationCount; i += 16) {
          opened.push(...(await Promise.all(Array.from({ length: Math.min(16, settings.saturationCount - i) }, () => openInteraction(target)))));
        }
        const posted = await measured(server, repeat, async () => {
          const mails: Promise<unknown>[] = [];
          const result = await closedLoop(settings.saturationConnections, { count: settings.saturationCount }, async (_worker, n) => {
            const email = freshAddress('workers');
            await submitLogin(target, opened[n] as OpenInteraction, email);
            const mail = mailbox.waitFor(email, 60_000);
            mail.catch(() => undefined); // awaited below, unless the run fails first
            mails.push(mail);
          });
          await Promise.all(mails);
          return result;
        });
        figures.push({ ...posted, server: `${name} email form` });
        ctx.log(
          `  ${name} (${processes[name]} linkid processes) #${repeat + 1}: discovery ${served.opsPerSecond.toFixed(0)} req/s, email form ${posted.opsPerSecond.toFixed(0)} POSTs/s, other CPU ${Math.max(served.otherCores, posted.otherCores).toFixed(2)}`,
        );
      } finally {
        mailbox.close();
        await linkid.stop();
      }
    }
  }
  return {
    name: 'workers',
    title: 'workers',
    op: 'request',
    note:
      `fresh linkid per run, free to use cores ${ctx.cpus.all ?? 'any'}; discovery as above, email form saturated as above (${settings.saturationCount} POSTs). ` +
      'processes = the linkid process and its children; a build without WORKERS support runs one',
    figures,
    facts: { processes },
  };
}
