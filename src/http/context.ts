// What our middleware puts on ctx.state, typed once.
import type { Templates } from '../templates.js';

export interface LinkidState {
  requestId: string;
  nonce: string;
  /** The client whose redirect URIs this page's forms may end at (CSP form-action). */
  formClientId?: string;
}

export interface PageDeps {
  readonly templates: Templates;
  readonly productName: string;
}
