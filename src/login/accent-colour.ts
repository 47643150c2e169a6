// An app's accent colour is drawn on our pages in both colour schemes: as the button colour and
// as link and outline colour on the page. WCAG 2.2 asks 3:1 for large text and UI parts
// (SC 1.4.3 large text, SC 1.4.11 non-text contrast). This file holds that arithmetic, so the CLI
// that accepts a colour and the pages that draw it agree on what is readable.

/** The page backgrounds of views/layout.eta (card and field), light then dark. */
const LIGHT_BACKGROUNDS = ['#ffffff', '#f5f6f8'] as const;
const DARK_BACKGROUNDS = ['#161b22', '#0d1117'] as const;
/** The two text colours a button may carry (the layout's own light and dark button text). */
const BUTTON_TEXTS = ['#ffffff', '#0d1117'] as const;

export const MIN_CONTRAST = 3;
export const HEX_COLOUR = /^#[0-9a-f]{6}$/;

function channel(hex: string, offset: number): number {
  const value = Number.parseInt(hex.slice(offset, offset + 2), 16) / 255;
  return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance of #rrggbb. */
function luminance(hex: string): number {
  return 0.2126 * channel(hex, 1) + 0.7152 * channel(hex, 3) + 0.0722 * channel(hex, 5);
}

export function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** The button text that reads best on `accent` (always above 4.3:1, so above 3:1). */
export function buttonTextFor(accent: string): string {
  return contrast(accent, BUTTON_TEXTS[0]) >= contrast(accent, BUTTON_TEXTS[1]) ? BUTTON_TEXTS[0] : BUTTON_TEXTS[1];
}

/** Why `accent` cannot be drawn on our pages, or undefined when it reads well enough in both schemes. */
export function accentProblem(accent: string): string | undefined {
  if (!HEX_COLOUR.test(accent)) return 'must be a colour as #rrggbb';
  const light = Math.min(...LIGHT_BACKGROUNDS.map((background) => contrast(accent, background)));
  const dark = Math.min(...DARK_BACKGROUNDS.map((background) => contrast(accent, background)));
  if (light >= MIN_CONTRAST && dark >= MIN_CONTRAST) return undefined;
  const ratio = (value: number) => `${value.toFixed(2)}:1`;
  return (
    `has too little contrast with the page (${ratio(light)} on the light page, ${ratio(dark)} on the dark one; ` +
    `links and outlines need ${MIN_CONTRAST}:1 on both, WCAG 2.2 SC 1.4.11): choose a mid-tone colour`
  );
}
