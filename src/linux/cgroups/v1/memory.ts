// cgroup v1 memory controller (Documentation/admin-guide/cgroup-v1/memory.rst), after runc's
// libcontainer/cgroups/fs/memory.go.
import type { MemoryResources, Resources } from "../../../spec/types";
import { CgroupFileError, CgroupFiles, fsIO, int, isSet, nonZero, UnsupportedResource, type CgroupIO, type Num } from "../fsio";
import type { MemoryEntry, RuncStats } from "../stats";

const P = "/linux/resources/memory";
const LIMIT = "memory.limit_in_bytes", MEMSW = "memory.memsw.limit_in_bytes";

/** Fields this host cannot apply, found before any write. */
export function check(dir: string, r: Resources, io: CgroupIO = fsIO): UnsupportedResource[] {
  const m = r.memory;
  if (!m) return [];
  const f = new CgroupFiles(dir, io), out: UnsupportedResource[] = [];
  const need = (field: string, file: string, why: string) => { if (!f.has(file)) out.push(new UnsupportedResource(`${P}/${field}`, why)); };
  if (nonZero(m.swap)) need("swap", MEMSW, "needs the memory controller's memory.memsw.* files (swap accounting), not present on this host");
  if (nonZero(m.kernelTCP)) need("kernelTCP", "memory.kmem.tcp.limit_in_bytes", "needs memory.kmem.tcp.limit_in_bytes, not present on this host");
  if (isSet(m.swappiness) && m.swappiness !== -1) {
    if (m.swappiness < 0 || m.swappiness > 100) out.push(new UnsupportedResource(`${P}/swappiness`, `invalid value ${m.swappiness} (valid range is 0-100)`));
    else need("swappiness", "memory.swappiness", "needs memory.swappiness, not present on this host");
  }
  return out;
}

export function apply(dir: string, r: Resources, io: CgroupIO = fsIO): void {
  const m = r.memory;
  if (!m) return;
  const f = new CgroupFiles(dir, io);
  if (m.checkBeforeUpdate) checkUsage(f, m);
  setMemoryAndSwap(f, m);
  // memory.kernel (kmem.limit_in_bytes) is ignored, as runc does: Linux 6.1 removed kmem limits.
  if (nonZero(m.reservation)) f.write("memory.soft_limit_in_bytes", int(m.reservation));
  if (nonZero(m.kernelTCP)) f.write("memory.kmem.tcp.limit_in_bytes", int(m.kernelTCP));
  if (m.disableOOMKiller) f.write("memory.oom_control", "1");
  // Linux 5.x+ refuses use_hierarchy=0 (EINVAL): the kernel's answer is the error, as in crun.
  if (isSet(m.useHierarchy)) f.write("memory.use_hierarchy", m.useHierarchy ? "1" : "0");
  if (isSet(m.swappiness) && m.swappiness !== -1) f.write("memory.swappiness", int(m.swappiness));
}

/**
 * runc's setMemoryAndSwap: the kernel requires memory.limit <= memsw.limit at every moment, so
 * when both change the order depends on the direction. Raising (or unlimiting swap): memsw first,
 * then memory. Lowering: memory first, then memsw.
 */
function setMemoryAndSwap(f: CgroupFiles, m: MemoryResources): void {
  const memory = m.limit ?? 0;
  let swap = m.swap ?? 0;
  // memory -1 with swap unset means "unlimited both" (when swap accounting exists)
  if (memory === -1 && swap === 0 && f.has(MEMSW)) swap = -1;
  if (memory !== 0 && swap !== 0) {
    const cur = BigInt(f.read(LIMIT).trim());
    if (swap === -1 || cur < BigInt(swap)) {
      f.write(MEMSW, int(swap));
      setLimit(f, memory);
      return;
    }
  }
  setLimit(f, memory);
  if (swap !== 0) f.write(MEMSW, int(swap));
}

function setLimit(f: CgroupFiles, limit: number): void {
  if (limit === 0) return;
  try {
    f.write(LIMIT, int(limit));
  } catch (e) {
    // EBUSY: below the current usage and the kernel could not reclaim enough (runc's wording)
    if (!(e instanceof CgroupFileError) || e.code !== "EBUSY") throw e;
    throw new Error(`unable to set memory limit to ${limit} (current usage: ${f.read("memory.usage_in_bytes").trim()}, peak usage: ${f.read("memory.max_usage_in_bytes").trim()})`);
  }
}

/** checkBeforeUpdate (runtime-spec 1.2): refuse a limit at or below what is in use now. */
function checkUsage(f: CgroupFiles, m: MemoryResources): void {
  const usage = f.num("memory.usage_in_bytes");
  if (usage === undefined) return; // best effort, as runc's CheckMemoryUsage
  if ((m.swap ?? 0) > 0) {
    const sw = f.num("memory.memsw.usage_in_bytes") ?? usage;
    if (BigInt(m.swap!) <= BigInt(sw)) throw new Error(`${P}/swap: rejecting memory+swap limit ${m.swap} <= usage ${sw} (checkBeforeUpdate)`);
  }
  if ((m.limit ?? 0) > 0 && BigInt(m.limit!) <= BigInt(usage)) {
    throw new Error(`${P}/limit: rejecting memory limit ${m.limit} <= usage ${usage} (checkBeforeUpdate)`);
  }
}

/** runc's getMemoryData: usage/max_usage/failcnt/limit of "memory", "memsw", "kmem", "kmem.tcp" */
function entry(f: CgroupFiles, prefix: string): MemoryEntry {
  const n = (s: string): Num => f.num(`${prefix}.${s}`) ?? 0;
  if (!f.has(`${prefix}.usage_in_bytes`)) return { limit: 0, usage: 0, max: 0, failcnt: 0 };
  return { limit: n("limit_in_bytes"), usage: n("usage_in_bytes"), max: n("max_usage_in_bytes"), failcnt: n("failcnt") };
}

export function stats(dir: string, s: RuncStats, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  if (!f.has("memory.stat")) return;
  const raw = f.keyValues("memory.stat");
  s.memory.raw = Object.fromEntries(raw);
  s.memory.cache = raw.get("cache") ?? 0;
  s.memory.usage = entry(f, "memory");
  s.memory.swap = entry(f, "memory.memsw");
  s.memory.kernel = entry(f, "memory.kmem");
  s.memory.kernelTCP = entry(f, "memory.kmem.tcp");
}

/** memory.oom_control: "oom_kill_disable 0\nunder_oom 0\noom_kill 3" → the oom_kill count */
export function oomKillCount(dir: string, io: CgroupIO = fsIO): Num {
  return new CgroupFiles(dir, io).keyValues("memory.oom_control").get("oom_kill") ?? 0;
}

