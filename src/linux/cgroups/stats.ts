// `events --stats` output in runc's shape: runc's types.Stats (types/events.go), filled the way
// runc's convertLibcontainerStats fills it from libcontainer/cgroups' Stats. containerd's runc shim
// and podman decode this JSON, so key names, nesting and Go's omitempty rules are kept.
import type { Num } from "./fsio";

export interface PSIData { avg10: number; avg60: number; avg300: number; total: Num }
export interface PSIStats { some: PSIData; full: PSIData }
export interface MemoryEntry { limit: Num; usage: Num; max: Num; failcnt: Num }
export interface BlkioEntry { major: Num; minor: Num; op: string; value: Num }
export interface HugetlbEntry { usage: Num; max: Num; failcnt: Num }

/** Every field present (zero when unknown); `eventData` applies Go's omitempty when encoding. */
export interface RuncStats {
  cpu: {
    usage: { total: Num; percpu: Num[]; percpu_kernel: Num[]; percpu_user: Num[]; kernel: Num; user: Num };
    throttling: { periods: Num; throttledPeriods: Num; throttledTime: Num };
    psi?: PSIStats;
  };
  cpuset: {
    cpus: number[]; cpu_exclusive: Num; mems: number[]; mem_hardwall: Num; mem_exclusive: Num; memory_migrate: Num;
    memory_spread_page: Num; memory_spread_slab: Num; memory_pressure: Num; sched_load_balance: Num; sched_relax_domain_level: Num;
  };
  memory: { cache: Num; usage: MemoryEntry; swap: MemoryEntry; kernel: MemoryEntry; kernelTCP: MemoryEntry; raw: Record<string, Num>; psi?: PSIStats };
  pids: { current: Num; limit: Num };
  blkio: {
    ioServiceBytesRecursive: BlkioEntry[]; ioServicedRecursive: BlkioEntry[]; ioQueueRecursive: BlkioEntry[];
    ioServiceTimeRecursive: BlkioEntry[]; ioWaitTimeRecursive: BlkioEntry[]; ioMergedRecursive: BlkioEntry[];
    ioTimeRecursive: BlkioEntry[]; sectorsRecursive: BlkioEntry[]; psi?: PSIStats;
  };
  hugetlb: Record<string, HugetlbEntry>;
}

const entry = (): MemoryEntry => ({ limit: 0, usage: 0, max: 0, failcnt: 0 });

export function emptyStats(): RuncStats {
  return {
    cpu: { usage: { total: 0, percpu: [], percpu_kernel: [], percpu_user: [], kernel: 0, user: 0 }, throttling: { periods: 0, throttledPeriods: 0, throttledTime: 0 } },
    cpuset: {
      cpus: [], cpu_exclusive: 0, mems: [], mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0,
      memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 0, sched_relax_domain_level: 0,
    },
    memory: { cache: 0, usage: entry(), swap: entry(), kernel: entry(), kernelTCP: entry(), raw: {} },
    pids: { current: 0, limit: 0 },
    blkio: {
      ioServiceBytesRecursive: [], ioServicedRecursive: [], ioQueueRecursive: [], ioServiceTimeRecursive: [],
      ioWaitTimeRecursive: [], ioMergedRecursive: [], ioTimeRecursive: [], sectorsRecursive: [],
    },
    hugetlb: {},
  };
}

const isZero = (v: unknown): boolean =>
  v === 0 || v === 0n || v === "" || v === undefined || (Array.isArray(v) && v.length === 0);

/** Go's `json:",omitempty"` on the named keys (numbers, strings, slices, maps; never structs). */
function omit<T extends object>(o: T, keys: (keyof T)[]): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) {
    const v = o[k];
    if (v === undefined) continue;
    if (keys.includes(k) && (isZero(v) || (k === "raw" && Object.keys(v as object).length === 0))) continue;
    out[k] = v;
  }
  return out;
}

/** Go encodes map keys sorted */
function sortedMap<V>(m: Record<string, V>, f: (v: V) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(m).sort()) out[k] = f(m[k]);
  return out;
}

/** The `data` object of a runc `{"type":"stats"}` event, omitempty applied as runc's Go types do. */
export function eventData(s: RuncStats): Record<string, unknown> {
  const mem = (e: MemoryEntry) => omit(e, ["usage", "max"]);
  const blk = (l: BlkioEntry[]) => l.map((e) => omit(e, ["major", "minor", "op", "value"]));
  const b = s.blkio;
  return {
    cpu: omit({ usage: omit(s.cpu.usage, ["total", "percpu", "percpu_kernel", "percpu_user"]), throttling: omit(s.cpu.throttling, ["periods", "throttledPeriods", "throttledTime"]), psi: s.cpu.psi }, []),
    cpuset: omit(s.cpuset, ["cpus", "mems"]),
    memory: omit({
      cache: s.memory.cache, usage: mem(s.memory.usage), swap: mem(s.memory.swap), kernel: mem(s.memory.kernel),
      kernelTCP: mem(s.memory.kernelTCP), raw: sortedMap(s.memory.raw, (v) => v), psi: s.memory.psi,
    }, ["cache", "raw"]),
    pids: omit(s.pids, ["current", "limit"]),
    blkio: omit({
      ioServiceBytesRecursive: blk(b.ioServiceBytesRecursive), ioServicedRecursive: blk(b.ioServicedRecursive),
      ioQueueRecursive: blk(b.ioQueueRecursive), ioServiceTimeRecursive: blk(b.ioServiceTimeRecursive),
      ioWaitTimeRecursive: blk(b.ioWaitTimeRecursive), ioMergedRecursive: blk(b.ioMergedRecursive),
      ioTimeRecursive: blk(b.ioTimeRecursive), sectorsRecursive: blk(b.sectorsRecursive), psi: b.psi,
    }, ["ioServiceBytesRecursive", "ioServicedRecursive", "ioQueueRecursive", "ioServiceTimeRecursive", "ioWaitTimeRecursive", "ioMergedRecursive", "ioTimeRecursive", "sectorsRecursive"]),
    hugetlb: sortedMap(s.hugetlb, (h) => omit(h, ["usage", "max"])),
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** JSON like Go's encoder: compact, bigints written as exact integers, undefined keys dropped. */
export function encodeJSON(v: unknown): string {
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return Number.isFinite(v) ? (Number.isInteger(v) ? BigInt(v).toString() : String(v)) : "null";
  if (v === null || v === undefined) return "null";
  if (typeof v === "string" || typeof v === "boolean") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(encodeJSON).join(",")}]`;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v as object)) if (x !== undefined) parts.push(`${JSON.stringify(k)}:${encodeJSON(x)}`);
  return `{${parts.join(",")}}`;
}

/** One line of `events` output: {"type":"stats","id":...,"data":{...}} (no trailing newline). */
export function statsEvent(id: string, s: RuncStats): string {
  return encodeJSON({ type: "stats", id, data: eventData(s) });
}

/** cpu.pressure / memory.pressure / io.pressure (Documentation/accounting/psi.rst) */
export function parsePSI(text: string): PSIStats {
  const zero = (): PSIData => ({ avg10: 0, avg60: 0, avg300: 0, total: 0 });
  const out: PSIStats = { some: zero(), full: zero() };
  for (const line of text.split("\n")) {
    const [kind, ...fields] = line.trim().split(/\s+/);
    if (kind !== "some" && kind !== "full") continue;
    for (const f of fields) {
      const [k, v] = f.split("=");
      if (k === "total") out[kind].total = BigInt(v) <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : BigInt(v);
      else if (k === "avg10" || k === "avg60" || k === "avg300") out[kind][k] = Number(v);
    }
  }
  return out;
}
