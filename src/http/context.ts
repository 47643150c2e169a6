// What our middleware puts on ctx.state, typed once.
import type { Templates } from '../templates.js';

export interface LinkidState {
  requestId: string;
  nonce: string;
}

export interface PageDeps {
  readonly templates: Templates;
  readonly productName: string;
}
