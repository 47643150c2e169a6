// Pages of one app's sign-in wear that app's brand: its name, logo, accent colour, support
// address and privacy and terms links. A route that knows which app a page belongs to calls
// brandPage once; the layout (views/layout.eta) draws what it finds on ctx.state.brand, so
// reason pages rendered by the error handler wear it too (and offer "Back to {app}", errors.ts).
// A logo on another origin is allowed by the CSP of that page only (security-headers.ts reads
// ctx.state.imageOrigin).
import type { Context } from 'koa';
import { accentInks } from '../login/accent-colour.js';
import type { App, AppDirectory } from '../login/app-policy.js';

/** What views/layout.eta draws for an app; every part optional but the name. The layout words the support line and the links itself, in the page's language. */
export interface PageBrand {
  readonly name: string;
  readonly logoUri?: string;
  readonly accentColor?: string;
  readonly accentText?: string;
  /** Text in the accent's hue that reads at 4.5:1 on the light and on the dark page (links, secondary buttons). */
  readonly accentInkLight?: string;
  readonly accentInkDark?: string;
  readonly policyUri?: string;
  readonly tosUri?: string;
  readonly supportEmail?: string;
}

export type BrandPage = (ctx: Context, clientId: unknown) => Promise<App | undefined>;

export function createPageBranding(apps: AppDirectory): BrandPage {
  return async (ctx, clientId) => {
    if (typeof clientId !== 'string' || clientId === '') return undefined;
    const app = await apps.find(clientId);
    const { branding } = app;
    const inks = branding.accentColor ? accentInks(branding.accentColor) : undefined;
    const brand: PageBrand = { ...branding, ...(inks ? { accentInkLight: inks.light, accentInkDark: inks.dark } : {}) };
    ctx.state.brand = brand;
    if (app.homeUri) ctx.state.appHome = app.homeUri;
    if (branding.logoUri) ctx.state.imageOrigin = new URL(branding.logoUri).origin;
    return app;
  };
}
