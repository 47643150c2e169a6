// Text in the accent colour (links, secondary buttons, the resend countdown) must read at 4.5:1
// (WCAG 2.2 SC 1.4.3) on the card and the page, light and dark; outlines and button fills at 3:1
// (SC 1.4.11). The palette is read from views/layout.eta itself, so a change of colour there is
// measured here, and an app's accent gets an ink of its own hue where the accent cannot read.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { accentInks, accentProblem, buttonTextFor, contrast, DARK_BACKGROUNDS, LIGHT_BACKGROUNDS } from '../../src/login/accent-colour.js';

const layout = fs.readFileSync(path.resolve(import.meta.dirname, '../../views/layout.eta'), 'utf8');

/** The custom properties of the first rule in `css` that sets --bg. */
function palette(css: string): Record<string, string> {
  const rule = /:root\{(--bg:[^}]*)\}/.exec(css)?.[1] ?? '';
  return Object.fromEntries(rule.split(';').map((declaration) => declaration.split(':') as [string, string]));
}
const darkCss = /@media \(prefers-color-scheme:dark\)\{(:root\{--bg:[^}]*\})\}/.exec(layout)?.[1] ?? '';
const SCHEMES = { light: palette(layout), dark: palette(darkCss) };

/** Hue in degrees of #rrggbb. */
function hue(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((offset) => Number.parseInt(hex.slice(offset, offset + 2), 16) / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const chroma = max - Math.min(r, g, b);
  const sector = max === r ? ((g - b) / chroma + 6) % 6 : max === g ? (b - r) / chroma + 2 : (r - g) / chroma + 4;
  return sector * 60;
}
const hueDistance = (a: number, b: number) => Math.min(Math.abs(a - b), 360 - Math.abs(a - b));
const lowest = (colour: string, backgrounds: readonly string[]) => Math.min(...backgrounds.map((background) => contrast(colour, background)));

describe("the layout's own palette", () => {
  it.each(Object.entries(SCHEMES))('%s: is the one the contrast checks measure against', (scheme, colours) => {
    for (const colour of Object.values(colours)) expect(colour, `${scheme}: every colour written #rrggbb, as the checks read them`).toMatch(/^#[0-9a-f]{6}$/);
    expect([colours['--card'], colours['--bg']]).toEqual(scheme === 'light' ? LIGHT_BACKGROUNDS : DARK_BACKGROUNDS);
  });

  it.each(Object.entries(SCHEMES))('%s: text, muted text, link ink and danger read at 4.5:1 on the card and the page; the accent at 3:1', (scheme, colours) => {
    const backgrounds = scheme === 'light' ? LIGHT_BACKGROUNDS : DARK_BACKGROUNDS;
    for (const text of ['--text', '--muted', '--accent-ink', '--danger'])
      expect(lowest(colours[text]!, backgrounds), `${scheme} ${text}`).toBeGreaterThanOrEqual(4.5);
    expect(lowest(colours['--accent']!, backgrounds)).toBeGreaterThanOrEqual(3);
    expect(contrast(colours['--accent-text']!, colours['--accent']!), 'button text').toBeGreaterThanOrEqual(4.5);
    expect(contrast(colours['--danger-text']!, colours['--danger']!), 'danger button text').toBeGreaterThanOrEqual(4.5);
  });

  it('draws link and secondary-button text, and the badge, in the ink, never in the bare accent', () => {
    const rules = layout.match(/[^{}]+\{[^{}]*\bcolor:var\(--accent\)[^{}]*\}/g) ?? [];
    expect(rules).toEqual([]);
    expect(layout).toMatch(/\ba\{color:var\(--accent-ink\)/);
    expect(layout).toMatch(/button\.secondary\{[^}]*color:var\(--accent-ink\)/);
  });
});

describe('an app accent as text', () => {
  // Accepted accents (3:1 on both pages), among them two that read well on the light page but not
  // on the dark one (#b048a0 is 3.53:1 on the dark card). The default palette is measured above.
  const ACCENTS = ['#b048a0', '#1a7f5a', '#0969da', '#e0661a', '#d93025', '#8250df', '#767676', '#00838f'];

  it.each(ACCENTS)('%s: gets an ink that reads at 4.5:1 on both pages of each scheme, of the same hue, changed no more than needed', (accent) => {
    expect(accentProblem(accent)).toBeUndefined();
    const inks = accentInks(accent);
    for (const [scheme, backgrounds] of [
      ['light', LIGHT_BACKGROUNDS],
      ['dark', DARK_BACKGROUNDS],
    ] as const) {
      const ink = inks[scheme];
      expect(ink).toMatch(/^#[0-9a-f]{6}$/);
      expect(lowest(ink, backgrounds), `${accent} ink ${ink} on the ${scheme} page`).toBeGreaterThanOrEqual(4.5);
      if (lowest(accent, backgrounds) >= 4.5) expect(ink, `${accent} already reads on the ${scheme} page`).toBe(accent);
      else {
        expect(lowest(ink, backgrounds), 'just enough').toBeLessThan(4.75);
        if (accent !== '#767676') expect(hueDistance(hue(ink), hue(accent)), `${accent} hue`).toBeLessThanOrEqual(3);
      }
    }
  });

  it('keeps #b048a0 and #1a7f5a as they are on the light page and lightens them on the dark one', () => {
    for (const accent of ['#b048a0', '#1a7f5a']) {
      expect(lowest(accent, DARK_BACKGROUNDS)).toBeLessThan(4.5);
      const { light, dark } = accentInks(accent);
      expect(light).toBe(accent);
      expect(contrast(dark, '#000000')).toBeGreaterThan(contrast(accent, '#000000'));
    }
  });

  it('darkens an accent that is too light for text on the light page', () => {
    // #e0661a passes 3:1 on white but not 4.5:1.
    expect(lowest('#e0661a', LIGHT_BACKGROUNDS)).toBeLessThan(4.5);
    const { light } = accentInks('#e0661a');
    expect(contrast(light, '#000000')).toBeLessThan(contrast('#e0661a', '#000000'));
  });

  it('leaves the button fill and its derived text alone', () => {
    for (const accent of ACCENTS) expect(contrast(accent, buttonTextFor(accent))).toBeGreaterThanOrEqual(3);
  });
});
