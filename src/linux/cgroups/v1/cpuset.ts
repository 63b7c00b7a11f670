// cgroup v1 cpuset controller (Documentation/admin-guide/cgroup-v1/cpusets.rst), runc's fs/cpuset.go.
// A new v1 cpuset starts with empty cpus/mems and refuses tasks; createCgroups copies the parent's.
import type { Resources } from "../../../spec/types";
import { parseCpuList } from "../convert";
import { CgroupFiles, fsIO, isSet, type CgroupIO } from "../fsio";
import type { RuncStats } from "../stats";

export function apply(dir: string, r: Resources, io: CgroupIO = fsIO): void {
  const c = r.cpu;
  if (!c) return;
  const f = new CgroupFiles(dir, io);
  if (isSet(c.cpus) && c.cpus !== "") f.write("cpuset.cpus", c.cpus);
  if (isSet(c.mems) && c.mems !== "") f.write("cpuset.mems", c.mems);
}

const FLAGS = [
  "cpu_exclusive", "mem_hardwall", "mem_exclusive", "memory_migrate", "memory_spread_page",
  "memory_spread_slab", "memory_pressure", "sched_load_balance", "sched_relax_domain_level",
] as const;

export function stats(dir: string, s: RuncStats, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  if (!f.has("cpuset.cpus")) return;
  s.cpuset.cpus = parseCpuList(f.read("cpuset.cpus"));
  s.cpuset.mems = parseCpuList(f.read("cpuset.mems"));
  for (const k of FLAGS) s.cpuset[k] = f.num(`cpuset.${k}`) ?? 0;
}
