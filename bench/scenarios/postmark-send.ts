// What one Postmark send costs linkid in CPU (issue 28's "≤ 1 ms" target): a real sign-in email,
// taken from linkid's outbox, sent one at a time through linkid's own Postmark transport in a
// process of its own on the servers' core (servers/postmark-sender.ts), to the stand-in answering
// at once on the load generator's core. Only the send: rendering and queueing the email are in
// the sign-in's other steps.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Mailbox } from '../mailbox.ts';
import { freePort, hasTaskset, startServer } from '../processes.ts';
import { freshAddress, type Context, type ScenarioResult } from '../scenario.ts';
import { openInteraction, submitLogin } from '../sign-in.ts';

const TOKEN = 'bench-postmark-token';

export async function postmarkSend(ctx: Context): Promise<ScenarioResult> {
  const count = ctx.settings.quick ? 200 : 3000;
  const linkid = ctx.servers.targets.linkid;
  const mailbox = linkid.mailbox;
  if (!(mailbox instanceof Mailbox)) throw new Error('linkid target without its outbox');
  const email = freshAddress('send');
  await submitLogin(linkid, await openInteraction(linkid), email);
  await mailbox.waitFor(email);
  const message = mailbox.lastMessage();
  if (message?.to !== email) throw new Error(`the outbox's last message is not the one to ${email}`);
  const messageFile = path.join(ctx.logDir, 'postmark-send-message.json');
  fs.writeFileSync(messageFile, JSON.stringify({ to: message.to, subject: message.subject, text: message.text, html: message.html }));

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const standIn = await startServer({
    name: 'send-postmark',
    args: [path.join(import.meta.dirname, '../servers/slow-postmark.ts')],
    env: { PORT: String(port), POSTMARK_TOKEN: TOKEN, DELAY_MS: '0' },
    cpus: ctx.cpus.load,
    url,
    readyUrl: `${url}/received`,
    logDir: ctx.logDir,
  });
  try {
    const sender = [process.execPath, path.join(import.meta.dirname, '../servers/postmark-sender.ts')];
    const command = ctx.cpus.servers !== undefined && hasTaskset ? ['taskset', '-c', ctx.cpus.servers, ...sender] : sender;
    const result = spawnSync(command[0] as string, command.slice(1), {
      env: { ...process.env, POSTMARK_API_URL: url, POSTMARK_TOKEN: TOKEN, MESSAGE_FILE: messageFile, COUNT: String(count) },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`postmark-sender failed: ${result.stderr}`);
    const measuredSend = JSON.parse(result.stdout) as { cpuUsPerSend: number; wallUsPerSend: number; bytes: number };
    ctx.log(
      `  a Postmark send: ${measuredSend.cpuUsPerSend.toFixed(0)} µs of CPU, ${measuredSend.wallUsPerSend.toFixed(0)} µs wall (${measuredSend.bytes} bytes of message)`,
    );
    return {
      name: 'postmark-send',
      title: 'a Postmark send',
      op: 'send',
      note:
        `${count} sends of one real sign-in email (${measuredSend.bytes} bytes), one after another, through linkid's Postmark transport ` +
        '(the postmark client over kept-alive node:http connections) to a stand-in answering at once; CPU of the sending process per send',
      figures: [
        {
          server: 'linkid',
          repeat: 0,
          opsPerSecond: 1e6 / measuredSend.wallUsPerSend,
          p50Ms: measuredSend.wallUsPerSend / 1000,
          p99Ms: Number.NaN,
          cpuUsPerOp: measuredSend.cpuUsPerSend,
          otherCores: 0,
          ops: count,
          seconds: (count * measuredSend.wallUsPerSend) / 1e6,
          extra: { sendCpuUs: measuredSend.cpuUsPerSend, messageBytes: measuredSend.bytes },
        },
      ],
    };
  } finally {
    await standIn.stop();
  }
}
