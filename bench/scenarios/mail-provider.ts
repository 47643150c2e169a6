// Sign-ins against a mail provider that takes its time, as a real one does: a local stand-in for
// Postmark (servers/slow-postmark.ts) that answers after 150 ms, and a linkid of its own sending
// through it. Email form POSTs arrive at a fixed rate above the target; a sign-in is complete for
// this scenario when its email reaches the provider. Reports emails received per second while the
// load lasted, and the wait from each form POST to its email at the provider.
import path from 'node:path';
import { startLinkid } from '../linkid.ts';
import { openLoop, percentile } from '../load.ts';
import { freePort, startServer } from '../processes.ts';
import { freshAddress, measured, type Context, type ScenarioResult } from '../scenario.ts';
import { openInteraction, submitLogin, type OpenInteraction, type Target } from '../sign-in.ts';

const TOKEN = 'bench-postmark-token';
/** After the last form POST, how long emails may still arrive and count as sent in time. */
const GRACE_SECONDS = 2;

export async function slowMailProvider(ctx: Context): Promise<ScenarioResult> {
  const { settings } = ctx;
  const port = await freePort();
  const providerUrl = `http://127.0.0.1:${port}`;
  const provider = await startServer({
    name: 'slow-postmark',
    args: [path.join(import.meta.dirname, '../servers/slow-postmark.ts')],
    env: { PORT: String(port), POSTMARK_TOKEN: TOKEN, DELAY_MS: String(settings.slowMailDelayMs) },
    cpus: ctx.cpus.load,
    url: providerUrl,
    readyUrl: `${providerUrl}/received`,
    logDir: ctx.logDir,
  });
  const linkid = await startLinkid({
    name: 'linkid-postmark',
    cpus: ctx.cpus.servers,
    logDir: ctx.logDir,
    env: { POSTMARK_SERVER_TOKEN: TOKEN, POSTMARK_API_URL: providerUrl },
  });
  try {
    const target: Target = { kind: 'linkid', url: linkid.url, client: linkid.createClient('bench-postmark') };
    const opened: OpenInteraction[] = [];
    for (let i = 0; i < settings.slowMailCount; i += 16) {
      opened.push(...(await Promise.all(Array.from({ length: Math.min(16, settings.slowMailCount - i) }, () => openInteraction(target)))));
    }
    const sentAt = new Map<string, number>();
    let loadEnded = 0;
    const figure = await measured(linkid, 0, async () => {
      const result = await openLoop(settings.slowMailRate, settings.slowMailCount, async (n) => {
        const email = freshAddress('slowmail');
        sentAt.set(email, Date.now());
        await submitLogin(target, opened[n] as OpenInteraction, email);
      });
      loadEnded = Date.now();
      await new Promise((resolve) => setTimeout(resolve, GRACE_SECONDS * 1000));
      return result;
    });
    const received = (await (await fetch(`${providerUrl}/received`)).json()) as [string, number][];
    const firstSent = Math.min(...sentAt.values());
    const waits = received.flatMap(([to, at]) => (sentAt.has(to) ? [at - (sentAt.get(to) as number)] : [])).sort((a, b) => a - b);
    const inLoad = received.filter(([, at]) => at <= loadEnded).length;
    const emailsPerSecond = inLoad / ((loadEnded - firstSent) / 1000);
    const extra = {
      offeredPerSecond: settings.slowMailRate,
      emailsPerSecond,
      emailsReceived: waits.length,
      emailsNotYetSent: settings.slowMailCount - waits.length,
      waitP50Ms: percentile(waits, 50),
      waitP99Ms: percentile(waits, 99),
    };
    ctx.log(
      `  slow provider: ${emailsPerSecond.toFixed(1)} emails/s received, wait p50 ${extra.waitP50Ms.toFixed(0)} ms, ${extra.emailsNotYetSent} not sent ${GRACE_SECONDS} s after the load`,
    );
    return {
      name: 'slow-mail',
      title: `sign-ins with a ${settings.slowMailDelayMs} ms mail provider`,
      op: 'POST',
      note:
        `${settings.slowMailCount} email form POSTs at ${settings.slowMailRate}/s to a linkid sending through a Postmark stand-in that answers after ${settings.slowMailDelayMs} ms; ` +
        `emails/s = emails that reached the provider while the load lasted / its duration; wait = form POST sent until its email reached the provider (emails received up to ${GRACE_SECONDS} s after the load)`,
      figures: [{ ...figure, server: 'linkid', extra }],
    };
  } finally {
    // Its queue may hold minutes of mail at the provider's pace; nothing of it is needed any more.
    await linkid.stop(true);
    await provider.stop();
  }
}
