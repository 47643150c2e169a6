// Sign-ins against a mail provider that takes its time, as a real one does: a local stand-in for
// Postmark (servers/slow-postmark.ts) that answers after 150 ms, and a linkid of its own sending
// through it. First, email form POSTs arrive at a fixed rate above the target, and a sign-in is
// complete when its email reaches the provider: emails received per second while the load lasted,
// and the wait from each form POST to its email at the provider. Then whole sign-ins in a closed
// loop, each reading its link at the provider: full sign-ins per second on one core (issue 28).
import path from 'node:path';
import { startLinkid } from '../linkid.ts';
import { closedLoop, openLoop, percentile } from '../load.ts';
import { StandInInbox } from '../mailbox.ts';
import { freePort, startServer } from '../processes.ts';
import { freshAddress, measured, type Context, type ScenarioResult } from '../scenario.ts';
import { openInteraction, signIn, submitLogin, type OpenInteraction, type Target } from '../sign-in.ts';

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
    // Then whole sign-ins, each waiting for its email at the provider (150 ms) before it goes on.
    const inbox = new StandInInbox(providerUrl);
    const signInTarget: Target = { ...target, mailbox: inbox };
    const signInRun = (seconds: number) =>
      closedLoop(settings.slowMailSignInUsers, { seconds }, async () => void (await signIn(signInTarget, freshAddress('slowsignin'))));
    await signInRun(settings.warmupSeconds);
    const signIns = await measured(linkid, 0, () => signInRun(settings.signInSeconds * 2));
    ctx.log(
      `  full sign-ins through it: ${signIns.opsPerSecond.toFixed(1)}/s with ${settings.slowMailSignInUsers} users, ${signIns.cpuUsPerOp.toFixed(0)} µs of CPU per sign-in, p50 ${signIns.p50Ms.toFixed(0)} ms`,
    );
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
      signInsPerSecond: signIns.opsPerSecond,
      signInCpuUs: signIns.cpuUsPerOp,
      signInP50Ms: signIns.p50Ms,
      signInP99Ms: signIns.p99Ms,
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
        `emails/s = emails that reached the provider while the load lasted / its duration; wait = form POST sent until its email reached the provider (emails received up to ${GRACE_SECONDS} s after the load); ` +
        `then ${settings.slowMailSignInUsers} users signing in at once for ${settings.signInSeconds * 2} s, each link read at the provider: full sign-ins/s and CPU per sign-in`,
      figures: [{ ...figure, server: 'linkid', extra }],
    };
  } finally {
    // Its queue may hold minutes of mail at the provider's pace; nothing of it is needed any more.
    await linkid.stop(true);
    await provider.stop();
  }
}
