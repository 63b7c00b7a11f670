// cgroup v2 cpuset controller (cgroup-v2.rst "Cpuset", Linux 5.0): cpuset.cpus / cpuset.mems.
import type { Resources } from "../../../spec/types";
import { parseCpuList } from "../convert";
import { CgroupFiles, fsIO, isSet, UnsupportedResource, type CgroupIO } from "../fsio";
import type { RuncStats } from "../stats";

export function check(dir: string, r: Resources, io: CgroupIO = fsIO): UnsupportedResource[] {
  const c = r.cpu;
  const wants = (isSet(c?.cpus) && c.cpus !== "") || (isSet(c?.mems) && c.mems !== "");
  if (!wants || new CgroupFiles(dir, io).has("cpuset.cpus")) return [];
  const field = isSet(c?.cpus) && c.cpus !== "" ? "cpus" : "mems";
  return [new UnsupportedResource(`/linux/resources/cpu/${field}`, `needs the cpuset controller, not enabled for ${dir} (see cgroup.subtree_control of its parent)`)];
}

// the files and their rules are the same in both versions
export { apply } from "../v1/cpuset";

/** v2 has no cpuset flag files; the effective lists are what the tasks get */
export function stats(dir: string, s: RuncStats, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  if (f.has("cpuset.cpus.effective")) s.cpuset.cpus = parseCpuList(f.read("cpuset.cpus.effective"));
  if (f.has("cpuset.mems.effective")) s.cpuset.mems = parseCpuList(f.read("cpuset.mems.effective"));
}
