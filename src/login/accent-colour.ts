// An app's accent colour is drawn on our pages in both colour schemes: as the button fill and the
// outline colour, and, in a shade of its own hue, as the colour of link and secondary-button text.
// WCAG 2.2 asks 3:1 for UI parts (SC 1.4.11 non-text contrast), which the accent itself must meet,
// and 4.5:1 for text of normal size (SC 1.4.3), which many a good accent does not on the dark page
// (#b048a0 is 3.53:1 on the dark card). So text gets an "ink": the accent where it already reads at
// 4.5:1, else the same hue darkened (light page) or lightened (dark page) just enough. This file
// holds that arithmetic, so the CLI that accepts a colour and the pages that draw it agree.

/** The backgrounds of views/layout.eta (`--card`, and `--bg` of the page and fields), light then dark. */
export const LIGHT_BACKGROUNDS = ['#ffffff', '#f5f6f8'] as const;
export const DARK_BACKGROUNDS = ['#161b22', '#0d1117'] as const;
/** The two text colours a button may carry (the layout's own light and dark button text). */
const BUTTON_TEXTS = ['#ffffff', '#0d1117'] as const;

export const MIN_CONTRAST = 3;
/** WCAG 2.2 SC 1.4.3 (AA) for text of normal size: links, secondary buttons, the resend countdown. */
export const MIN_TEXT_CONTRAST = 4.5;
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

type Rgb = readonly [number, number, number];
type Hsl = readonly [number, number, number];

function rgbOf(hex: string): Rgb {
  return [1, 3, 5].map((offset) => Number.parseInt(hex.slice(offset, offset + 2), 16) / 255) as unknown as Rgb;
}

function hexOf(rgb: Rgb): string {
  return `#${rgb
    .map((value) =>
      Math.round(Math.min(1, Math.max(0, value)) * 255)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

function hslOf([r, g, b]: Rgb): Hsl {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const lightness = (max + min) / 2;
  const chroma = max - min;
  if (chroma === 0) return [0, 0, lightness];
  const saturation = chroma / (1 - Math.abs(2 * lightness - 1));
  const sector = max === r ? ((g - b) / chroma + 6) % 6 : max === g ? (b - r) / chroma + 2 : (r - g) / chroma + 4;
  return [sector * 60, saturation, lightness];
}

function rgbFromHsl([hue, saturation, lightness]: Hsl): Rgb {
  const at = (n: number) => {
    const k = (n + hue / 30) % 12;
    const a = saturation * Math.min(lightness, 1 - lightness);
    return lightness - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [at(0), at(8), at(4)];
}

const readsOn = (colour: string, backgrounds: readonly string[]) => Math.min(...backgrounds.map((background) => contrast(colour, background)));

/**
 * The text shade of `accent` for one scheme: `accent` itself when it reads at 4.5:1 on every
 * background of that scheme, else the same hue and saturation with the lightness moved (down on
 * the light page, up on the dark one) the least that does. Black and white both reach 4.5:1 on
 * their page, and luminance grows with HSL lightness, so the search always ends.
 */
function inkFor(accent: string, backgrounds: readonly string[], towards: 0 | 1): string {
  if (readsOn(accent, backgrounds) >= MIN_TEXT_CONTRAST) return accent;
  const [hue, saturation, lightness] = hslOf(rgbOf(accent));
  let [failing, passing] = [lightness, towards as number];
  for (let step = 0; step < 24; step += 1) {
    const middle = (failing + passing) / 2;
    if (readsOn(hexOf(rgbFromHsl([hue, saturation, middle])), backgrounds) >= MIN_TEXT_CONTRAST) passing = middle;
    else failing = middle;
  }
  // Rounding to #rrggbb may cost a hair of contrast: walk on until the written colour reads too.
  let ink = hexOf(rgbFromHsl([hue, saturation, passing]));
  while (readsOn(ink, backgrounds) < MIN_TEXT_CONTRAST) {
    passing += towards === 0 ? -1 / 255 : 1 / 255;
    ink = hexOf(rgbFromHsl([hue, saturation, passing]));
  }
  return ink;
}

/** The colours text in `accent` is drawn in on the light and on the dark page (each at least 4.5:1 there). */
export function accentInks(accent: string): { readonly light: string; readonly dark: string } {
  return { light: inkFor(accent, LIGHT_BACKGROUNDS, 0), dark: inkFor(accent, DARK_BACKGROUNDS, 1) };
}
