// Reads sign-in mail as it lands in linkid's DATA_DIR/outbox, the way a person watches an inbox,
// without polling a directory that grows by one file per sign-in: inotify (fs.watch) says when a
// message file appears, and a slow rescan catches anything an event missed. Each message is handed
// to whoever waits for that address, with the time it was seen.
import fs from 'node:fs';
import path from 'node:path';

export interface Mail {
  readonly link: string;
  /** When the file was seen (performance.now()). */
  readonly seenAt: number;
}

/** Where the bench reads a sign-in mail: the outbox (Mailbox) or the Postmark stand-in (StandInInbox). */
export interface Inbox {
  waitFor(email: string, timeoutMs?: number): Promise<Mail>;
}

/** Hands each arriving mail to whoever waits for its address, or keeps it for them. */
class MailDrop {
  private readonly arrived = new Map<string, Mail>();
  private readonly waiting = new Map<string, (mail: Mail) => void>();
  private readonly where: string;

  constructor(where: string) {
    this.where = where;
  }

  get waiters(): number {
    return this.waiting.size;
  }

  deliver(to: string, mail: Mail): void {
    const key = to.toLowerCase();
    const waiter = this.waiting.get(key);
    if (waiter) {
      this.waiting.delete(key);
      waiter(mail);
    } else this.arrived.set(key, mail);
  }

  waitFor(email: string, timeoutMs: number): Promise<Mail> {
    const key = email.toLowerCase();
    const ready = this.arrived.get(key);
    if (ready) {
      this.arrived.delete(key);
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`no sign-in mail to ${email} ${this.where} after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(key, (mail) => {
        clearTimeout(timer);
        resolve(mail);
      });
    });
  }
}

const LINK = /(https?:\/\/\S+\/login\/link\?token=[A-Za-z0-9_-]{43})/;

export class Mailbox implements Inbox {
  private readonly dir: string;
  private readonly seen = new Set<string>();
  private readonly drop = new MailDrop('in the outbox');
  private readonly watcher: fs.FSWatcher;
  private readonly rescan: NodeJS.Timeout;
  private lastFile: string | undefined;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'outbox');
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.watcher = fs.watch(this.dir, (_event, name) => {
      if (name) this.read(name);
    });
    this.rescan = setInterval(() => {
      if (this.drop.waiters > 0) for (const name of fs.readdirSync(this.dir)) this.read(name);
    }, 500);
  }

  private read(name: string): void {
    if (name.startsWith('.') || !name.endsWith('.json') || this.seen.has(name)) return;
    let message: { to: string; text: string };
    try {
      message = JSON.parse(fs.readFileSync(path.join(this.dir, name), 'utf8')) as { to: string; text: string };
    } catch {
      return; // renamed away or not there yet: the rescan tries again
    }
    this.seen.add(name);
    this.lastFile = path.join(this.dir, name);
    const link = LINK.exec(message.text)?.[1];
    if (!link) throw new Error(`mail to ${message.to} has no sign-in link:\n${message.text}`);
    this.drop.deliver(message.to, { link, seenAt: performance.now() });
  }

  /** The next sign-in mail to `email` (addresses are unique per sign-in in the bench). */
  waitFor(email: string, timeoutMs = 30_000): Promise<Mail> {
    return this.drop.waitFor(email, timeoutMs);
  }

  /** The whole message last seen (to, subject, text, html, ...), as the outbox wrote it. */
  lastMessage(): Record<string, unknown> | undefined {
    return this.lastFile ? (JSON.parse(fs.readFileSync(this.lastFile, 'utf8')) as Record<string, unknown>) : undefined;
  }

  close(): void {
    this.watcher.close();
    clearInterval(this.rescan);
  }
}

/**
 * The sign-in mail that reached the Postmark stand-in (servers/slow-postmark.ts), read from its
 * GET /links?after=N while anyone waits: one poller for every waiting sign-in.
 */
export class StandInInbox implements Inbox {
  private seen = 0;
  private readonly drop = new MailDrop('at the Postmark stand-in');
  private polling = false;

  private readonly providerUrl: string;

  constructor(providerUrl: string) {
    this.providerUrl = providerUrl;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      while (this.drop.waiters > 0) {
        const links = (await (await fetch(`${this.providerUrl}/links?after=${this.seen}`)).json()) as [string, string][];
        this.seen += links.length;
        for (const [to, link] of links) this.drop.deliver(to, { link, seenAt: performance.now() });
        if (links.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      this.polling = false;
    }
  }

  waitFor(email: string, timeoutMs = 30_000): Promise<Mail> {
    const mail = this.drop.waitFor(email, timeoutMs);
    void this.poll();
    return mail;
  }
}
