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

const LINK = /(https?:\/\/\S+\/login\/link\?token=[A-Za-z0-9_-]{43})/;

export class Mailbox implements Inbox {
  private readonly dir: string;
  private readonly seen = new Set<string>();
  private readonly arrived = new Map<string, Mail>();
  private readonly waiting = new Map<string, (mail: Mail) => void>();
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
      if (this.waiting.size > 0) for (const name of fs.readdirSync(this.dir)) this.read(name);
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
    const mail = { link, seenAt: performance.now() };
    const to = message.to.toLowerCase();
    const waiter = this.waiting.get(to);
    if (waiter) {
      this.waiting.delete(to);
      waiter(mail);
    } else this.arrived.set(to, mail);
  }

  /** The next sign-in mail to `email` (addresses are unique per sign-in in the bench). */
  waitFor(email: string, timeoutMs = 30_000): Promise<Mail> {
    const to = email.toLowerCase();
    const ready = this.arrived.get(to);
    if (ready) {
      this.arrived.delete(to);
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(to);
        reject(new Error(`no sign-in mail to ${email} in the outbox after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(to, (mail) => {
        clearTimeout(timer);
        resolve(mail);
      });
    });
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
  private readonly arrived = new Map<string, Mail>();
  private readonly waiting = new Map<string, (mail: Mail) => void>();
  private polling = false;

  private readonly providerUrl: string;

  constructor(providerUrl: string) {
    this.providerUrl = providerUrl;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      while (this.waiting.size > 0) {
        const links = (await (await fetch(`${this.providerUrl}/links?after=${this.seen}`)).json()) as [string, string][];
        this.seen += links.length;
        for (const [to, link] of links) {
          const mail = { link, seenAt: performance.now() };
          const waiter = this.waiting.get(to.toLowerCase());
          if (waiter) {
            this.waiting.delete(to.toLowerCase());
            waiter(mail);
          } else this.arrived.set(to.toLowerCase(), mail);
        }
        if (links.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      this.polling = false;
    }
  }

  waitFor(email: string, timeoutMs = 30_000): Promise<Mail> {
    const to = email.toLowerCase();
    const ready = this.arrived.get(to);
    if (ready) {
      this.arrived.delete(to);
      return Promise.resolve(ready);
    }
    const mail = new Promise<Mail>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(to);
        reject(new Error(`no sign-in mail to ${email} at the Postmark stand-in after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(to, (arrived) => {
        clearTimeout(timer);
        resolve(arrived);
      });
    });
    void this.poll();
    return mail;
  }
}
