// What every page is rendered with: the templates, the words of each language, and the product's
// name and version for the layout. Built once by the composition root (src/services.ts); src/http
// renders with it, and hands oidc-provider a renderer for its own pages made from it.
import type { Locale } from '../kernel/locales.js';
import type { Catalog } from './catalog.js';
import type { Templates } from './templates.js';

export interface PageDeps {
  readonly templates: Templates;
  readonly catalog: Catalog;
  readonly defaultLocale: Locale;
  readonly productName: string;
  /** The app version, shown in every page's footer next to the request id. */
  readonly version?: string;
}
