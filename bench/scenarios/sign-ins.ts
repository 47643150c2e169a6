// Sign-ins as people do them. The full sign-in: K users at once, each signing in again (a new
// address, a new browser) as soon as the last one finished. The login form POST on its own (linkid's
// email form against the bare provider's login form), first at a fixed arrival rate (open loop:
// latency at a realistic load, and for linkid how long until the email is in the outbox), then at
// saturation (as many as the server can take with C in flight). Interactions are opened before
// the measured window, so only the form POSTs are measured.
import { closedLoop, openLoop, percentile } from '../load.ts';
import { freshAddress, measured, rotated, targetOf, type Context, type Figure, type ScenarioResult } from '../scenario.ts';
import { openInteraction, signIn, submitLogin, type OpenInteraction, type Target } from '../sign-in.ts';

export async function fullSignIn(ctx: Context): Promise<ScenarioResult> {
  const { settings } = ctx;
  const { linkid, bare, bareStore, bareSqlite } = ctx.servers;
  const figures: Figure[] = [];
  for (let repeat = 0; repeat < settings.repeats; repeat += 1) {
    for (const server of rotated([linkid, bare, bareStore, bareSqlite], repeat)) {
      const target = targetOf(ctx.servers, server);
      const run = (seconds: number) => closedLoop(settings.signInUsers, { seconds }, async () => void (await signIn(target, freshAddress('signin'))));
      await run(settings.warmupSeconds);
      const figure = await measured(server, repeat, () => run(settings.signInSeconds));
      ctx.log(`  sign-in ${server.name} #${repeat + 1}: ${figure.opsPerSecond.toFixed(1)} sign-ins/s, other CPU ${figure.otherCores.toFixed(2)}`);
      figures.push(figure);
    }
  }
  return {
    name: 'sign-in',
    title: 'full sign-in (bare: dev login form)',
    op: 'sign-in',
    note:
      `${settings.signInUsers} users at once for ${settings.signInSeconds} s, each signing in again with a new address and browser when done. ` +
      'linkid: authorize (PKCE), email form, mail read from the outbox, link, confirm, consent, code, token. bare: authorize, login form, consent, code, token',
    figures,
  };
}

async function openInteractions(target: Target, count: number): Promise<OpenInteraction[]> {
  const opened: OpenInteraction[] = [];
  // A few at a time: opening them is set-up, not the measured load.
  for (let i = 0; i < count; i += 16) opened.push(...(await Promise.all(Array.from({ length: Math.min(16, count - i) }, () => openInteraction(target)))));
  return opened;
}

/** A promise awaited later, maybe never (when the run fails first): its rejection must not end the process. */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Submits the login form of each opened interaction; for linkid, also notes when each email lands in the outbox. */
function formPoster(target: Target, opened: OpenInteraction[]) {
  const mailDelays: Promise<number>[] = [];
  return {
    post: async (n: number) => {
      const open = opened[n];
      if (!open) throw new Error('more form POSTs than opened interactions');
      const email = freshAddress('form');
      const sent = performance.now();
      await submitLogin(target, open, email);
      // Waited for only once the POST succeeded, so a failed POST leaves no wait behind; a mail that
      // landed before this line is kept by the mailbox with the time it was seen.
      const mail = target.mailbox?.waitFor(email, 60_000);
      if (mail) mailDelays.push(settledLater(mail.then((arrived) => arrived.seenAt - sent)));
    },
    /** Waits for every email (a form POST whose email never arrives fails the run) and summarises the delays. */
    async mail(): Promise<Record<string, number> | undefined> {
      if (mailDelays.length === 0) return undefined;
      const delays = (await Promise.all(mailDelays)).sort((a, b) => a - b);
      return { mailP50Ms: percentile(delays, 50), mailP99Ms: percentile(delays, 99) };
    },
  };
}

export async function emailFormOpenLoop(ctx: Context): Promise<ScenarioResult> {
  const { settings } = ctx;
  const { linkid, bare } = ctx.servers;
  const figures: Figure[] = [];
  for (let repeat = 0; repeat < settings.repeats; repeat += 1) {
    for (const server of rotated([linkid, bare], repeat)) {
      const target = targetOf(ctx.servers, server);
      const opened = await openInteractions(target, settings.openLoopCount);
      const poster = formPoster(target, opened);
      let lateStarts = 0;
      const figure = await measured(server, repeat, async () => {
        const result = await openLoop(settings.openLoopRate, settings.openLoopCount, poster.post);
        lateStarts = result.lateStarts;
        // The emails are awaited inside the window: sending them is part of what a form POST costs.
        const mail = await poster.mail();
        return { ...result, extra: { ...mail, lateStarts } };
      });
      ctx.log(
        `  email form at ${settings.openLoopRate}/s ${server.name} #${repeat + 1}: p50 ${figure.p50Ms.toFixed(1)} ms, p99 ${figure.p99Ms.toFixed(1)} ms, other CPU ${figure.otherCores.toFixed(2)}`,
      );
      figures.push(figure);
    }
  }
  return {
    name: 'email-form-open',
    title: `email form POST at ${settings.openLoopRate}/s (open loop)`,
    op: 'POST',
    note:
      `${settings.openLoopCount} POSTs started on schedule at ${settings.openLoopRate}/s, latency from the scheduled start; ` +
      'linkid: mail = form POST sent until the email file is in the outbox. bare: its login form POST',
    figures,
  };
}

export async function emailFormSaturation(ctx: Context): Promise<ScenarioResult> {
  const { settings } = ctx;
  const { linkid, bare } = ctx.servers;
  const figures: Figure[] = [];
  for (let repeat = 0; repeat < settings.repeats; repeat += 1) {
    for (const server of rotated([linkid, bare], repeat)) {
      const target = targetOf(ctx.servers, server);
      const opened = await openInteractions(target, settings.saturationCount);
      const poster = formPoster(target, opened);
      const figure = await measured(server, repeat, async () => {
        const result = await closedLoop(settings.saturationConnections, { count: settings.saturationCount }, (_worker, n) => poster.post(n));
        const mail = await poster.mail();
        return mail ? { ...result, extra: mail } : result;
      });
      ctx.log(`  email form saturated ${server.name} #${repeat + 1}: ${figure.opsPerSecond.toFixed(0)} POSTs/s, other CPU ${figure.otherCores.toFixed(2)}`);
      figures.push(figure);
    }
  }
  return {
    name: 'email-form-saturation',
    title: 'email form POST, saturated',
    op: 'POST',
    note: `${settings.saturationCount} POSTs, ${settings.saturationConnections} in flight; linkid's window ends when every email is in the outbox`,
    figures,
  };
}
