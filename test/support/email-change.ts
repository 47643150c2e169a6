// Changing an account's address as its owner does it: the form on the account page, the link
// mailed to the new address (opened, then its button pressed), and the undo link mailed to the old one.
import { expect } from 'vitest';
import type { Browser, Page } from './browser.js';
import type { RunningLinkid } from './linkid.js';
import { mailsTo } from './outbox.js';
import type { OutboxMessage } from '../../src/mail/outbox.js';

export interface ChangeMail {
  readonly link: string;
  readonly token: string;
  readonly message: OutboxMessage;
}

/** The newest confirm (or undo) link mailed to `to`, read off the text part once linkid has sent everything. */
export async function latestChangeMail(linkid: RunningLinkid, to: string, kind: 'confirm' | 'undo'): Promise<ChangeMail> {
  const pattern = new RegExp(`(https?://\\S+/account/email/${kind}\\?token=([A-Za-z0-9_-]{43}))`);
  const mails = (await mailsTo(linkid, to)).filter((mail) => pattern.test(mail.text));
  const message = mails.at(-1);
  if (!message) throw new Error(`no ${kind} link mailed to ${to}`);
  const [, link, token] = pattern.exec(message.text) ?? [];
  return { link: link!, token: token!, message };
}

/** Submits the change-email form (the browser already signed in recently) with `newEmail`. */
export async function askToChange(browser: Browser, linkid: RunningLinkid, newEmail: string): Promise<Page> {
  const form = await browser.follow(`${linkid.issuer}/account/email`);
  expect(form.url, form.body).toBe(`${linkid.issuer}/account/email`);
  return browser.submit(form, /\/account\/email$/, { email: newEmail });
}

/** Opens a confirm or undo link and presses its button; returns the POST's response. */
export async function pressLink(browser: Browser, mail: ChangeMail): Promise<Page> {
  const page = await browser.request(mail.link);
  expect(page.status, page.body).toBe(200);
  return browser.submit(page, /\/account\/email\/(confirm|undo)$/);
}
