// The transient unit's properties (systemd.resource-control(5), the D-Bus names of
// org.freedesktop.systemd1.Scope): placement, accounting, and the limits systemd can express.
// The mapping is runc's: on cgroup v1 and hybrid hosts the v1-era names (MemoryLimit, CPUShares,
// BlockIOWeight), on v2 the v2 ones (MemoryMax, CPUWeight, IOWeight...). Every field is also
// written through cgroupfs afterwards (driver.ts), as runc does, so what systemd cannot express
// still lands; giving systemd the limits keeps it from undoing them when it re-applies its own.
import type { Resources } from "../../../spec/types";
import { parseCpuList, sharesToWeight, swapToV2 } from "../convert";
import type { CgroupMode } from "../driver";
import { isSet, MAX_U64, nonZero } from "../fsio";
import { deviceProperties } from "./devices";
import type { SystemdUnit } from "./unit";
import { Variant, type DBusValue } from "./wire";

/** one (sv) entry of StartTransientUnit's a(sv) */
export type Property = [string, Variant];

const prop = (name: string, sig: string, value: DBusValue): Property => [name, new Variant(sig, value)];
/** -1 is "unlimited": systemd's infinity is UINT64_MAX */
const u64 = (n: number): bigint => (n < 0 ? MAX_U64 : BigInt(n));

/** the kernel's default CFS period, 100 ms, for v1 and v2 alike */
const DEFAULT_PERIOD = 100_000;

export interface UnitOptions { id: string; pid: number; mode: CgroupMode }

/** what every container unit gets, before its resources (runc's Apply) */
export function baseProperties(u: SystemdUnit, o: UnitOptions): Property[] {
  const props: Property[] = [prop("Description", "s", `tsrunc container ${o.id}`)];
  // a slice's parent is implied by its name; Wants= orders it after the given one
  props.push(u.kind === "slice" ? prop("Wants", "as", [u.slice]) : prop("Slice", "s", u.slice));
  if (o.pid > 0) props.push(prop("PIDs", "au", [o.pid]));
  // Delegate: systemd leaves the scope's sub-tree to us (CGROUP_DELEGATION.md) and realizes
  // every controller it knows there, which is what lets the cgroupfs writes below stick
  if (u.kind === "scope") props.push(prop("Delegate", "b", true));
  // accounting on every controller, as the cgroupfs driver has: the kernel charges memory to
  // the group a page was allocated in, so turning memory accounting on later misses earlier use
  for (const a of ["MemoryAccounting", "CPUAccounting", o.mode === "v2" ? "IOAccounting" : "BlockIOAccounting", "TasksAccounting"]) props.push(prop(a, "b", true));
  // no implicit ordering against shutdown.target or sysinit: the container's lifetime is the runtime's to manage
  props.push(prop("DefaultDependencies", "b", false));
  return props;
}

/**
 * linux.resources → properties. `version` is systemd's: CPUQuotaPeriodUSec needs 242,
 * AllowedCPUs/AllowedMemoryNodes 244, "char-MAJOR" device globs 240. With `update` (the
 * `update` verb's partial resources) the device list is sent only when given: an absent one
 * would otherwise become the default list and replace the container's.
 */
export function resourceProperties(r: Resources, mode: CgroupMode, version: number, opts: { update?: boolean } = {}): Property[] {
  const props: Property[] = opts.update && !r.devices ? [] : [...deviceProperties(r.devices, version)];
  const m = r.memory, c = r.cpu;
  if (mode === "v2") {
    if (nonZero(m?.limit)) props.push(prop("MemoryMax", "t", u64(m.limit)));
    if (nonZero(m?.reservation)) props.push(prop("MemoryLow", "t", u64(m.reservation)));
    const swap = swapToV2(m?.swap ?? 0, m?.limit ?? 0);
    if (swap !== 0) props.push(prop("MemorySwapMax", "t", u64(swap)));
    if (nonZero(c?.shares)) props.push(prop("CPUWeight", "t", BigInt(sharesToWeight(c.shares))));
  } else {
    if (nonZero(m?.limit)) props.push(prop("MemoryLimit", "t", u64(m.limit)));
    if (nonZero(c?.shares)) props.push(prop("CPUShares", "t", BigInt(c.shares)));
    if (nonZero(r.blockIO?.weight)) props.push(prop("BlockIOWeight", "t", BigInt(r.blockIO.weight)));
  }
  props.push(...cpuQuotaProperties(c?.quota ?? 0, c?.period ?? 0, version));
  const pids = r.pids?.limit;
  if (isSet(pids) && (pids > 0 || pids === -1)) props.push(prop("TasksMax", "t", u64(pids)));
  if (version >= 244) {
    if (c?.cpus) props.push(prop("AllowedCPUs", "ay", cpuMask(c.cpus, "/linux/resources/cpu/cpus")));
    if (c?.mems) props.push(prop("AllowedMemoryNodes", "ay", cpuMask(c.mems, "/linux/resources/cpu/mems")));
  }
  if (mode === "v2") props.push(...unifiedProperties(r.unified ?? {}, version));
  return props;
}

/**
 * systemd keeps a quota as CPUQuotaPerSecUSec (µs of CPU per second) and turns it back into
 * cpu.cfs_quota_us / cpu.max itself, in whole percent: round up to the next 10 ms so the
 * container never gets less than asked (runc's addCpuQuota). A quota ≤ 0 with a period is
 * "unlimited".
 */
export function cpuQuotaProperties(quota: number, period: number, version: number): Property[] {
  const props: Property[] = [];
  if (period !== 0 && version >= 242) props.push(prop("CPUQuotaPeriodUSec", "t", BigInt(period)));
  if (quota === 0 && period === 0) return props;
  let perSec = MAX_U64;
  if (quota > 0) {
    const p = BigInt(period || DEFAULT_PERIOD);
    perSec = (BigInt(quota) * 1_000_000n) / p;
    if (perSec % 10_000n !== 0n) perSec = (perSec / 10_000n + 1n) * 10_000n;
  }
  props.push(prop("CPUQuotaPerSecUSec", "t", perSec));
  return props;
}

/** "0-2,7" → the bitmask as bytes, lowest CPU in the first byte's lowest bit (systemd's cpu_set_to_dbus) */
export function cpuMask(list: string, ptr: string): number[] {
  let cpus: number[];
  try {
    cpus = parseCpuList(list);
  } catch (e) {
    throw new Error(`${ptr}: ${(e as Error).message}`);
  }
  const bytes: number[] = [];
  for (const n of cpus) {
    while (bytes.length <= n >> 3) bytes.push(0);
    bytes[n >> 3] |= 1 << (n & 7);
  }
  return bytes;
}

/**
 * linux.resources.unified (cgroup v2 file → value) → the properties systemd has for them; the
 * others are only written through cgroupfs (runc's unifiedResToSystemdProps).
 */
export function unifiedProperties(unified: Record<string, string>, version: number): Property[] {
  const props: Property[] = [];
  const bad = (k: string, v: string) => new Error(`/linux/resources/unified/${k}: cannot read ${JSON.stringify(v)}`);
  const uint = (k: string, v: string) => { if (!/^\d+$/.test(v)) throw bad(k, v); return BigInt(v); };
  const maxOr = (k: string, v: string) => (v === "max" ? MAX_U64 : uint(k, v));
  const memory: Record<string, string> = { "memory.high": "MemoryHigh", "memory.low": "MemoryLow", "memory.min": "MemoryMin", "memory.max": "MemoryMax", "memory.swap.max": "MemorySwapMax" };
  for (const [k, raw] of Object.entries(unified).sort(([a], [b]) => a.localeCompare(b))) {
    const v = raw.trim();
    if (k.includes("/") || !k.includes(".")) throw new Error(`/linux/resources/unified/${k}: must be a cgroup v2 file name (controller.parameter)`);
    if (k === "cpu.max") {
      const f = v.split(/\s+/);
      if (f.length > 2) throw bad(k, v);
      props.push(...cpuQuotaProperties(f[0] === "max" ? 0 : Number(uint(k, f[0])), f[1] ? Number(uint(k, f[1])) : DEFAULT_PERIOD, version));
    } else if (k === "cpu.weight") props.push(prop("CPUWeight", "t", uint(k, v)));
    else if (k === "pids.max") props.push(prop("TasksMax", "t", maxOr(k, v)));
    else if (k in memory) props.push(prop(memory[k], "t", maxOr(k, v)));
    else if ((k === "cpuset.cpus" || k === "cpuset.mems") && version >= 244) {
      props.push(prop(k === "cpuset.cpus" ? "AllowedCPUs" : "AllowedMemoryNodes", "ay", cpuMask(v, `/linux/resources/unified/${k}`)));
    }
  }
  return props;
}
