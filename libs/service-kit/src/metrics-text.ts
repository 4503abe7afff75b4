/**
 * Reading Prometheus's text format and docs/metrics.md, for tests: the value of a series, and
 * whether the documentation and a service's GET /metrics name the same metrics.
 */

export interface Sample {
  /** The sample's own name (a histogram's has _bucket, _sum or _count). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ExposedMetric {
  name: string;
  type: string;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every metric of a text exposition by name, with its TYPE and samples. */
export function parseExposition(text: string): Map<string, ExposedMetric> {
  const metrics = new Map<string, ExposedMetric>();
  const owner = (sample: string): ExposedMetric | undefined => {
    for (const suffix of ['', '_bucket', '_sum', '_count']) {
      if (suffix && !sample.endsWith(suffix)) continue;
      const m = metrics.get(sample.slice(0, sample.length - suffix.length));
      if (m && (suffix === '' || m.type === 'histogram' || m.type === 'summary')) return m;
    }
    return undefined;
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      metrics.set(name!, { name: name!, type: type!, samples: [] });
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(LABEL))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const metric = owner(m[1]!);
    if (!metric) throw new Error(`sample without a TYPE line: ${line}`);
    metric.samples.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return metrics;
}

/**
 * The sum of the samples named `sample` whose labels include `labels` (0 when none): one series'
 * value, or a total over the labels left out. A histogram's count is `<name>_count`.
 */
export function sampleValue(
  text: string | Map<string, ExposedMetric>,
  sample: string,
  labels: Record<string, string> = {},
): number {
  const metrics = typeof text === 'string' ? parseExposition(text) : text;
  let sum = 0;
  for (const metric of metrics.values())
    for (const s of metric.samples)
      if (s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  return sum;
}

export interface DocumentedMetric {
  name: string;
  type: string;
  labels: string[];
  /** 1-based line in the document. */
  line: number;
}

/**
 * The metrics table rows of docs/metrics.md: "| `name` | type | `label`, `label` | meaning |"
 * (labels "—" for none).
 */
export function parseMetricsDoc(markdown: string): DocumentedMetric[] {
  const out: DocumentedMetric[] = [];
  markdown.split('\n').forEach((row, i) => {
    const m = /^\|\s*`(vigil_[a-z0-9_]+)`\s*\|\s*([a-z]+)\s*\|([^|]*)\|/.exec(row);
    if (!m) return;
    const labels = [...m[3]!.matchAll(/`([a-zA-Z_][a-zA-Z0-9_]*)`/g)].map((l) => l[1]!);
    out.push({ name: m[1]!, type: m[2]!, labels, line: i + 1 });
  });
  return out;
}

/**
 * Where docs/metrics.md and a /metrics answer disagree, for the metrics whose names start with
 * one of `prefixes`: a documented metric not exposed, an exposed one not documented, a different
 * type, a sample with a label the document does not list (a histogram's `le` aside). [] when
 * they agree.
 */
export function metricsDocProblems(markdown: string, exposition: string, prefixes: readonly string[]): string[] {
  const mine = (name: string) => prefixes.some((p) => name.startsWith(p));
  const documented = parseMetricsDoc(markdown).filter((d) => mine(d.name));
  const exposed = parseExposition(exposition);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const d of documented) {
    if (seen.has(d.name)) problems.push(`docs/metrics.md:${d.line}: ${d.name} documented twice`);
    seen.add(d.name);
    const e = exposed.get(d.name);
    if (!e) {
      problems.push(`docs/metrics.md:${d.line}: ${d.name} is documented but not exposed`);
      continue;
    }
    if (e.type !== d.type)
      problems.push(`docs/metrics.md:${d.line}: ${d.name} is a ${e.type}, documented as ${d.type}`);
    const allowed = new Set([...d.labels, ...(e.type === 'histogram' ? ['le'] : [])]);
    const unknown = new Set(e.samples.flatMap((s) => Object.keys(s.labels)).filter((k) => !allowed.has(k)));
    if (unknown.size > 0)
      problems.push(`docs/metrics.md:${d.line}: ${d.name} has label(s) ${[...unknown].join(', ')} not documented`);
  }
  for (const name of exposed.keys())
    if (mine(name) && !seen.has(name)) problems.push(`${name} is exposed but not documented in docs/metrics.md`);
  return problems;
}
