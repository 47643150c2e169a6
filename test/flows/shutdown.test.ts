// SIGTERM under load, as an orchestrator stops linkid for a deploy: every request the server had
// taken in before the signal is answered (none fails), the process exits 0 within
// SHUTDOWN_GRACE_SECONDS, and emails still waiting for a slow provider at the end of the grace
// are handed back to the queue, so the next process sends them at once instead of after their
// lease (MAIL_LEASE_SECONDS, a minute) runs out. One process, and WORKERS=2.
import { afterEach, describe, expect, it } from 'vitest';
import { startFakePostmark, type FakePostmark } from '../support/fake-postmark.js';
import { deliveredTo, dice, heldPost, mailRows, peopleAtTheForm, postmarkEnv, registerApp, startListening } from '../support/kill-points.js';
import type { LinkidProcess } from '../support/linkid-process.js';
import { startLinkid, type RunningLinkid } from '../support/linkid.js';
import { Browser } from '../support/browser.js';

const GRACE_SECONDS = 4;
const fakes: FakePostmark[] = [];
let last: LinkidProcess | undefined;
const inProcess: RunningLinkid[] = [];

afterEach(async () => {
  await last?.cleanUp();
  last = undefined;
  await Promise.all(inProcess.splice(0).map((linkid) => linkid.close()));
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function fakePostmark(delayMs = 0): Promise<FakePostmark> {
  const fake = await startFakePostmark(undefined, { delayMs });
  fakes.push(fake);
  return fake;
}

describe.each([
  ['one process', {}],
  ['WORKERS=2', { WORKERS: '2' }],
])('SIGTERM under load, %s', (name, env: Record<string, string>) => {
  it('answers every request taken in before the signal, exits 0 within SHUTDOWN_GRACE_SECONDS, and hands the mail claims back', async () => {
    const roll = dice(`SIGTERM, ${name}`);
    // Slower than the grace: every send is still waiting for Postmark when the grace ends.
    const slow = await fakePostmark(GRACE_SECONDS * 2000);
    const lease = { MAIL_LEASE_SECONDS: '60' };
    const first = await startListening({ ...postmarkEnv(slow), ...lease, SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS), ...env });
    last = first;
    const rp = await registerApp(first);
    const people = await peopleAtTheForm(rp, 24, 'term');
    const posts = people.map((person) => heldPost(person, { email: person.email }));
    await Promise.all(posts.map((post) => post.held));

    const signalAfter = roll.between(1, 16);
    let answered = 0;
    let signalledAt = 0;
    const answers = await Promise.all(
      posts.map(async (post) => {
        const answer = await post.send();
        if (++answered === signalAfter) {
          signalledAt = Date.now();
          first.child.kill('SIGTERM');
        }
        return answer;
      }),
    );
    expect(
      answers.filter((answer) => answer.status !== 200 || !answer.body.includes('Check your email')),
      `seed ${roll.seed}`,
    ).toEqual([]);
    expect(await first.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(GRACE_SECONDS * 1000);
    expect(first.stderr()).toBe('');
    const handedBack = first.logs().filter((line) => line.msg === 'mail claims handed back to the queue');
    expect(handedBack.reduce((sum, line) => sum + Number(line.handedBack), 0)).toBeGreaterThan(0);
    const rows = await mailRows(first);
    expect(rows.map((row) => row.to).sort()).toEqual(people.map((person) => person.email).sort());
    expect(rows.filter((row) => row.status !== 'queued' || row.leaseUntil !== null)).toEqual([]);

    // The next process, with a Postmark that answers at once, sends them all well within their
    // minute-long lease: they were handed back, not left to time out.
    const fast = await fakePostmark();
    const restartedAt = Date.now();
    last = await startListening({ ...postmarkEnv(fast), ...lease, ...env }, first);
    await deliveredTo(
      fast,
      people.map((person) => person.email),
      10_000,
    );
    expect(Date.now() - restartedAt).toBeLessThan(20_000);
  }, 60_000);
});

describe('the send queue stopped with a grace', () => {
  it('hands back what it holds once the grace is over: released, due now, and sent by the next instance at once', async () => {
    const slow = await fakePostmark(5_000);
    const env = (fake: FakePostmark) => ({ POSTMARK_SERVER_TOKEN: fake.token, POSTMARK_API_URL: fake.url });
    const first = await startLinkid({ env: env(slow), keepData: true });
    inProcess.push(first);
    const client = await first.createClient({ name: 'Notes', firstParty: true });
    const { RelyingParty } = await import('../support/relying-party.js');
    const rp = await RelyingParty.discover(first.issuer, client);
    for (const email of ['ann@example.com', 'bob@example.com']) {
      const browser = new Browser();
      const form = await browser.follow((await rp.authorizationUrl()).url);
      expect((await browser.submit(form, /\/login$/, { email })).status).toBe(200);
    }
    await first.services.idle();
    while (slow.received() < 2) await new Promise((resolve) => setTimeout(resolve, 20));

    const stopping = Date.now();
    await first.services.sendQueue.stop({ handBackAfterMs: 200 });
    expect(Date.now() - stopping).toBeLessThan(2_000);
    const rows = await mailRows({ dataDir: first.dataDir, mongodbUri: first.config.mongodbUri });
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row).toMatchObject({ status: 'queued', leaseUntil: null, providerMessageId: null });
      expect(row.nextAttemptAt, 'due now').toBeLessThanOrEqual(Date.now());
    }
    await first.close();
    inProcess.splice(0);

    const fast = await fakePostmark();
    const second = await startLinkid({ env: env(fast), dataDir: first.dataDir, startWorker: false });
    inProcess.push(second);
    await second.settle();
    expect(
      fast
        .emails()
        .map((email) => email.body.To)
        .sort(),
    ).toEqual(['ann@example.com', 'bob@example.com']);
  });
});
