// cgroup v2 pids controller (cgroup-v2.rst "PID"): the files are v1's (see v1/pids.ts).
import type { Resources } from "../../../spec/types";
import { CgroupFiles, fsIO, isSet, UnsupportedResource, type CgroupIO } from "../fsio";
export { apply, pidsMax, stats } from "../v1/pids";

export function check(dir: string, r: Resources, io: CgroupIO = fsIO): UnsupportedResource[] {
  if (!isSet(r.pids?.limit) || new CgroupFiles(dir, io).has("pids.max")) return [];
  return [new UnsupportedResource("/linux/resources/pids/limit", `needs the pids controller, not enabled for ${dir} (see cgroup.subtree_control of its parent)`)];
}
