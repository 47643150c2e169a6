// Page and email templates from views/. HTML is auto-escaped; plain-text email bodies are not
// HTML, so they come from a second engine without escaping.
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

export const VIEWS_DIR = fileURLToPath(new URL('../../views', import.meta.url));

export interface Templates {
  html(name: string, data: object): string;
  text(name: string, data: object): string;
}

export function createTemplates(viewsDir = VIEWS_DIR): Templates {
  const html = new Eta({ views: viewsDir, autoEscape: true, cache: true });
  const text = new Eta({ views: viewsDir, autoEscape: false, cache: true, autoTrim: false });
  return {
    html: (name, data) => html.render(name, data),
    text: (name, data) => text.render(name, data),
  };
}
