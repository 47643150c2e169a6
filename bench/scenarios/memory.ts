// Memory after many sessions: a fresh linkid signs in a new user (new address, new browser, so a
// new account, session, grant and tokens) again and again, K at a time, and its resident set size
// is read from /proc at each checkpoint. Growth between the checkpoints is what would show a leak.
import { startLinkid } from '../linkid.ts';
import { Mailbox } from '../mailbox.ts';
import { closedLoop } from '../load.ts';
import { rssMiB } from '../cpu-usage.ts';
import { freshAddress, measured, type Context, type Figure, type ScenarioResult } from '../scenario.ts';
import { signIn, type Target } from '../sign-in.ts';

export async function memoryAfterSessions(ctx: Context): Promise<ScenarioResult> {
  const { settings } = ctx;
  const linkid = await startLinkid({ name: 'linkid-memory', cpus: ctx.cpus.servers, logDir: ctx.logDir });
  const mailbox = new Mailbox(linkid.dataDir);
  try {
    const target: Target = { kind: 'linkid', url: linkid.url, client: linkid.createClient('bench-memory'), mailbox };
    const checkpoints: { sessions: number; rssMiB: number }[] = [{ sessions: 0, rssMiB: rssMiB(linkid.pid) }];
    const figures: Figure[] = [];
    let done = 0;
    for (const checkpoint of settings.rssCheckpoints) {
      const figure = await measured(linkid, figures.length, () =>
        closedLoop(settings.signInUsers, { count: checkpoint - done }, async () => void (await signIn(target, freshAddress('rss')))),
      );
      done = checkpoint;
      figures.push(figure);
      checkpoints.push({ sessions: checkpoint, rssMiB: rssMiB(linkid.pid) });
      ctx.log(
        `  RSS after ${checkpoint} sessions: ${checkpoints.at(-1)?.rssMiB.toFixed(0)} MiB (${figure.opsPerSecond.toFixed(1)} sign-ins/s, other CPU ${figure.otherCores.toFixed(2)})`,
      );
    }
    return {
      name: 'rss',
      title: 'RSS after N sessions',
      op: 'sign-in',
      note: `a fresh linkid; ${settings.signInUsers} users at once, each sign-in a new address (account, session, grant, tokens); VmRSS of the linkid process at each checkpoint`,
      figures,
      facts: { checkpoints },
    };
  } finally {
    mailbox.close();
    await linkid.stop();
  }
}
