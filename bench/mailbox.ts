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

const LINK = /(https?:\/\/\S+\/login\/link\?token=[A-Za-z0-9_-]{43})/;

export class Mailbox {
  private readonly dir: string;
  private readonly seen = new Set<string>();
  private readonly arrived = new Map<string, Mail>();
  private readonly waiting = new Map<string, (mail: Mail) => void>();
  private readonly watcher: fs.FSWatcher;
  private readonly rescan: NodeJS.Timeout;

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

  close(): void {
    this.watcher.close();
    clearInterval(this.rescan);
  }
}
