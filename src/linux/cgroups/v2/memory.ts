// cgroup v2 memory controller (Documentation/admin-guide/cgroup-v2.rst "Memory"), after runc's
// fs2/memory.go; the v1-only knobs are errors, as in crun's write_memory_resources.
import type { MemoryResources, Resources } from "../../../spec/types";
import { swapToV2 } from "../convert";
import { add, CgroupFiles, fsIO, int, isSet, MAX_U64, nonZero, UnsupportedResource, type CgroupIO, type Num } from "../fsio";
import { parsePSI, type RuncStats } from "../stats";

const P = "/linux/resources/memory";

/** runc's numToStr for .max/.low files: 0 is "leave alone", -1 is "max" */
function v2Value(n: number): string {
  return n === 0 ? "" : n === -1 ? "max" : int(n);
}

/** memory.swap.max, or "" to leave it alone; throws runc's conversion errors */
export function swapMax(m: MemoryResources): string {
  const swap = m.swap ?? 0;
  const v = swapToV2(swap, m.limit ?? 0);
  // memory == swap: no swap at all ("0"), not "leave alone"
  if (v === 0 && swap > 0) return "0";
  return v2Value(v);
}

export function check(dir: string, r: Resources, io: CgroupIO = fsIO): UnsupportedResource[] {
  const m = r.memory;
  if (!m) return [];
  const f = new CgroupFiles(dir, io), out: UnsupportedResource[] = [];
  const v1Only = (field: string, what: string) => out.push(new UnsupportedResource(`${P}/${field}`, `${what} exists only in cgroup v1; this host uses cgroup v2`));
  if (nonZero(m.kernelTCP)) v1Only("kernelTCP", "memory.kmem.tcp.limit_in_bytes");
  if (isSet(m.swappiness) && m.swappiness !== -1) v1Only("swappiness", "memory.swappiness");
  if (m.disableOOMKiller) v1Only("disableOOMKiller", "memory.oom_control (disabling the OOM killer)");
  if (m.useHierarchy === false) v1Only("useHierarchy", "a non-hierarchical memory controller");
  if (!(nonZero(m.limit) || nonZero(m.swap) || nonZero(m.reservation))) return out;
  let swap = "";
  try {
    swap = swapMax(m);
  } catch (e) {
    out.push(new UnsupportedResource(`${P}/swap`, (e as Error).message));
  }
  if (!f.has("memory.max")) {
    out.push(new UnsupportedResource(P, `needs the memory controller, not enabled for ${dir} (see cgroup.subtree_control of its parent)`));
  } else if (swap !== "" && swap !== "max" && swap !== "0" && !f.has("memory.swap.max")) {
    // no swap accounting (CONFIG_MEMCG_SWAP off or swapaccount=0): "max" and "0" are no-ops then
    out.push(new UnsupportedResource(`${P}/swap`, "needs memory.swap.max (swap accounting), not present on this host"));
  }
  return out;
}

export function apply(dir: string, r: Resources, io: CgroupIO = fsIO): void {
  const m = r.memory;
  if (!m || !(nonZero(m.limit) || nonZero(m.swap) || nonZero(m.reservation))) return;
  const f = new CgroupFiles(dir, io);
  if (m.checkBeforeUpdate) checkUsage(f, m);
  const swap = swapMax(m);
  if (swap !== "" && f.has("memory.swap.max")) f.write("memory.swap.max", swap);
  const max = v2Value(m.limit ?? 0);
  if (max !== "") f.write("memory.max", max);
  // the reservation is a best-effort protection: memory.low (memory.min would be a hard guarantee)
  const low = v2Value(m.reservation ?? 0);
  if (low !== "") f.write("memory.low", low);
}

/**
 * checkBeforeUpdate: refuse a limit at or below current usage (runc's CheckMemoryUsage; the v2
 * kernel would accept it and start reclaiming or OOM-killing instead of failing like v1).
 */
function checkUsage(f: CgroupFiles, m: MemoryResources): void {
  const usage = f.num("memory.current");
  if (usage === undefined) return;
  if ((m.swap ?? 0) > 0 && BigInt(m.swap!) <= BigInt(usage)) {
    throw new Error(`${P}/swap: rejecting memory+swap limit ${m.swap} <= usage ${usage} (checkBeforeUpdate)`);
  }
  if ((m.limit ?? 0) > 0 && BigInt(m.limit!) <= BigInt(usage)) {
    throw new Error(`${P}/limit: rejecting memory limit ${m.limit} <= usage ${usage} (checkBeforeUpdate)`);
  }
}

export function stats(dir: string, s: RuncStats, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  if (f.has("memory.stat")) {
    const raw = f.keyValues("memory.stat");
    s.memory.raw = Object.fromEntries(raw);
    s.memory.cache = raw.get("file") ?? 0;
  }
  if (!f.has("memory.current")) return;
  const n = (x: string): Num => f.num(x) ?? 0;
  // failcnt: memory.events "max" counts the times usage hit memory.max
  const events = f.keyValues("memory.events");
  s.memory.usage = { limit: n("memory.max"), usage: n("memory.current"), max: n("memory.peak"), failcnt: events.get("max") ?? 0 };
  if (f.has("memory.swap.current")) {
    // v1 reported memory+swap; keep that meaning (runc's statMemory)
    const swapLimit = n("memory.swap.max");
    const limit = s.memory.usage.limit;
    s.memory.swap = {
      limit: swapLimit === MAX_U64 || limit === MAX_U64 ? MAX_U64 : add(swapLimit, limit),
      usage: add(n("memory.swap.current"), s.memory.usage.usage),
      max: 0,
      failcnt: f.keyValues("memory.swap.events").get("max") ?? 0,
    };
  }
  if (f.has("memory.pressure")) s.memory.psi = parsePSI(f.read("memory.pressure"));
}

/** memory.events: the oom_kill count (runc's OOMKillCount) */
export function oomKillCount(dir: string, io: CgroupIO = fsIO): Num {
  return new CgroupFiles(dir, io).keyValues("memory.events").get("oom_kill") ?? 0;
}
