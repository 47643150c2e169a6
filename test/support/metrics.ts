// Reading /metrics as Prometheus does: scrape it over HTTP, then look a sample up by name and
// labels, or list every series name it exports (histograms as their _bucket, _sum and _count).
import { expect } from 'vitest';

export interface Scrape {
  readonly text: string;
  /** The value of the one sample of `name` whose labels include `labels`; undefined if none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every name a query may use: each sample's name, histograms expanded. */
  readonly names: ReadonlySet<string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Scrape {
  const samples = text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = SAMPLE.exec(line);
      expect(match, `not a sample line: ${line}`).not.toBeNull();
      const [, name, labelText = '', value] = match!;
      return { name: name!, labels: Object.fromEntries([...labelText.matchAll(LABEL)].map(([, key, val]) => [key!, val!])), value: Number(value) };
    });
  // A family with labels but no sample yet is still exported: its # TYPE line names it.
  const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
    type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!],
  );
  return {
    text,
    names: new Set([...samples.map((sample) => sample.name), ...families]),
    value(name, labels = {}) {
      const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, val]) => sample.labels[key] === val));
      expect(found.length, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`).toBeLessThanOrEqual(1);
      return found[0]?.value;
    },
  };
}

/** GET /metrics at `base` with the bearer token, if any; fails the test unless it answers 200. */
export async function scrape(base: string, token?: string): Promise<Scrape> {
  const response = await fetch(`${base}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(text);
}
