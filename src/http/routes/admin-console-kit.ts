// What the admin console's sections (src/http/routes/admin-console-*.ts) share: the navigation,
// the access check with the admin as the actor of every change, the page frame, and how a form
// that is not right answers (400, the form again with an error summary naming the field and the
// reason code `admin_invalid_field`, never a 500).
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { z } from 'zod';
import { consoleActor, type AdminActor } from '../../admin/admin-actor.js';
import { AdminError } from '../../admin/admin-error.js';
import type { Config } from '../../config/env.js';
import type { PageDeps } from '../../i18n/pages.js';
import type { Clock } from '../../kernel/clock.js';
import type { Versions } from '../../observability/versions.js';
import type { Services } from '../../services.js';
import type { AccountVisit } from '../account-access.js';
import type { AdminAccess } from '../admin-access.js';
import { ReasonError } from '../errors.js';
import { pageTime, renderPage, type PageTime } from '../render.js';

/** The console's sections, in the navigation's order: the path and the message key of each. */
export const CONSOLE_SECTIONS = [
  { id: 'apps', href: '/admin/apps', label: 'admin.nav.apps' },
  { id: 'users', href: '/admin/users', label: 'admin.nav.users' },
  { id: 'activity', href: '/admin/activity', label: 'admin.nav.activity' },
  { id: 'mail', href: '/admin/mail', label: 'admin.nav.mail' },
  { id: 'about', href: '/admin/about', label: 'admin.nav.about' },
] as const;

export type ConsoleSection = (typeof CONSOLE_SECTIONS)[number]['id'];

export interface AdminConsoleDeps {
  readonly provider: Provider;
  readonly pages: PageDeps;
  readonly store: Services['store'];
  readonly access: AdminAccess;
  readonly admin: Services['admin'];
  readonly clock: Clock;
  readonly versions: Versions;
  readonly config: Config;
}

/**
 * A field of a console form that is not right: its input's id and the message key of its label
 * (none: the form as a whole), what is wrong in the reader's words (a message key), and the
 * check's own technical words (`detail`, English, as the CLI prints them).
 */
export interface FieldProblem {
  readonly field?: string;
  readonly label?: string;
  readonly key: 'admin.problem.invalid' | 'admin.problem.refused';
  readonly detail: string;
}

/** What each section's routes get: the deps, and the shared frame. */
export interface ConsoleKit extends AdminConsoleDeps {
  /** The signed-in admin (and, for a POST, recently enough), or undefined when the answer is already a sign-in. */
  signedIn(ctx: Context, returnTo: string): Promise<{ visit: AccountVisit; actor: AdminActor } | undefined>;
  /** A console page: the layout, the console's navigation with `section` current, the signed-in admin. */
  render(ctx: Context, view: string, section: ConsoleSection, visit: AccountVisit, data: Record<string, unknown>): void;
  /** The same page again with 400, an error summary and the fields marked (reason admin_invalid_field). */
  refuse(ctx: Context, view: string, section: ConsoleSection, visit: AccountVisit, problems: readonly FieldProblem[], data: Record<string, unknown>): void;
  when(ctx: Context, epochMs: number | null | undefined): PageTime | undefined;
}

/** Reads a form through its schema; the problems name each field the schema refused (by its name in the form). */
export function readConsoleForm<T extends z.ZodType>(
  ctx: Context,
  schema: T,
  labels: Readonly<Record<string, string>>,
): { data: z.infer<T>; problems?: undefined } | { data?: undefined; problems: FieldProblem[] } {
  const parsed = schema.safeParse(ctx.request.body ?? {});
  if (parsed.success) return { data: parsed.data };
  return {
    problems: parsed.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? '');
      return { field: field || undefined, label: labels[field], key: 'admin.problem.invalid' as const, detail: issue.message };
    }),
  };
}

/**
 * The problem an admin operation refused with: an AdminError's words (they name the CLI flag:
 * `--redirect-uri ...`), tied to the form field that flag is, when `fields` knows it.
 */
export function problemOf(error: unknown, fields: Readonly<Record<string, { readonly field: string; readonly label: string }>> = {}): FieldProblem {
  if (!(error instanceof AdminError) || error.code !== 'invalid_argument') throw error;
  const flag = Object.keys(fields)
    .sort((a, b) => b.length - a.length)
    .find((name) => error.message.includes(name));
  const target = flag ? fields[flag] : undefined;
  return { field: target?.field, label: target?.label, key: 'admin.problem.refused', detail: error.message };
}

/** Every problem an admin operation refused with: its message holds them joined by "; ", each tied to its own field. */
export function problemsOf(error: unknown, fields: Readonly<Record<string, { readonly field: string; readonly label: string }>> = {}): FieldProblem[] {
  const first = problemOf(error, fields);
  const parts = first.detail.split('; ');
  return parts.length < 2 ? [first] : parts.map((part) => problemOf(new AdminError('invalid_argument', part), fields));
}

/** The not_found page, leading back to the console. */
export const notFoundPage = () => new ReasonError('not_found', { link: { url: '/admin', label: 'admin.backToConsole' } });

/** An admin operation that found nothing by that id: the not_found page. */
export function notFound(error: unknown): never {
  if (error instanceof AdminError && error.code === 'not_found') throw notFoundPage();
  throw error;
}

export function createConsoleKit(deps: AdminConsoleDeps): ConsoleKit {
  const kit: ConsoleKit = {
    ...deps,
    async signedIn(ctx, returnTo) {
      const visit = await deps.access.require(ctx, returnTo);
      return visit && { visit, actor: consoleActor(visit.user.id) };
    },
    render(ctx, view, section, visit, data) {
      renderPage(ctx, deps.pages, view, {
        ...data,
        wide: true,
        console: { sections: CONSOLE_SECTIONS, current: section, email: visit.user.email, signOutUrl: '/session/end?client_id=linkid-account' },
      });
    },
    refuse(ctx, view, section, visit, problems, data) {
      kit.render(ctx, view, section, visit, { ...data, problems, reason: 'admin_invalid_field' });
      ctx.status = 400;
    },
    when: (ctx, epochMs) => (epochMs === null || epochMs === undefined ? undefined : pageTime(ctx, deps.pages, epochMs)),
  };
  return kit;
}
