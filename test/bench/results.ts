// Samples per metric and runtime, and what failed.

export interface MetricDef {
  key: string;
  label: string;
  unit: "ms" | "c/s" | "MiB";
  /** higher is better (ratios read the other way) */
  higher?: boolean;
}

export const TIME_METRICS: MetricDef[] = [
  { key: "version", label: "`--version`", unit: "ms" },
  { key: "run", label: "`run /bin/true`", unit: "ms" },
  { key: "create", label: "create", unit: "ms" },
  { key: "start", label: "start", unit: "ms" },
  { key: "firstbyte", label: "start → first output byte", unit: "ms" },
  { key: "state", label: "state", unit: "ms" },
  { key: "exec", label: "exec /bin/true", unit: "ms" },
  { key: "kill", label: "kill KILL", unit: "ms" },
  { key: "waitstop", label: "… wait until stopped", unit: "ms" },
  { key: "delete", label: "… delete", unit: "ms" },
  { key: "killwaitdelete", label: "kill + wait + delete", unit: "ms" },
  { key: "cycle", label: "create + start + wait + delete", unit: "ms" },
  { key: "par-create", label: "20 parallel creates (wall)", unit: "ms" },
  { key: "par-rate", label: "20 parallel creates", unit: "c/s", higher: true },
  { key: "par-delete", label: "20 parallel `delete --force` (wall)", unit: "ms" },
];

export const MEM_METRICS: MetricDef[] = [
  { key: "rss-version", label: "peak RSS `--version`", unit: "MiB" },
  { key: "rss-run", label: "peak RSS `run /bin/true`", unit: "MiB" },
  { key: "rss-create", label: "peak RSS create", unit: "MiB" },
  { key: "rss-state", label: "peak RSS state", unit: "MiB" },
  { key: "rss-start", label: "peak RSS start", unit: "MiB" },
  { key: "rss-exec", label: "peak RSS exec", unit: "MiB" },
  { key: "rss-kill", label: "peak RSS kill", unit: "MiB" },
  { key: "rss-delete", label: "peak RSS delete", unit: "MiB" },
  { key: "init-rss", label: "waiting init RSS (create → start)", unit: "MiB" },
  { key: "init-pss", label: "waiting init PSS (create → start)", unit: "MiB" },
  { key: "init-anon", label: "waiting init anonymous memory (create → start)", unit: "MiB" },
];

export class Results {
  readonly samples = new Map<string, Map<string, number[]>>();
  readonly fails = new Map<string, Map<string, string[]>>();

  add(metric: string, rt: string, v: number): void {
    if (!Number.isFinite(v)) return;
    const m = this.samples.get(metric) ?? new Map<string, number[]>();
    this.samples.set(metric, m);
    const a = m.get(rt) ?? [];
    m.set(rt, a);
    a.push(v);
  }

  fail(metric: string, rt: string, msg: string): void {
    const m = this.fails.get(metric) ?? new Map<string, string[]>();
    this.fails.set(metric, m);
    const a = m.get(rt) ?? [];
    m.set(rt, a);
    a.push(msg);
  }

  get(metric: string, rt: string): number[] {
    return this.samples.get(metric)?.get(rt) ?? [];
  }

  failures(metric: string, rt: string): string[] {
    return this.fails.get(metric)?.get(rt) ?? [];
  }

  median(metric: string, rt: string): number {
    return median(this.get(metric, rt));
  }
}

export function median(a: number[]): number {
  if (!a.length) return NaN;
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** nearest-rank percentile */
export function percentile(a: number[], p: number): number {
  if (!a.length) return NaN;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
