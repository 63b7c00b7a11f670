// cgroup v2 rdma controller: the same rdma.max lines as v1 (see v1/rdma.ts).
import type { Resources } from "../../../spec/types";
import { CgroupFiles, fsIO, UnsupportedResource, type CgroupIO } from "../fsio";
export { apply, rdmaLines } from "../v1/rdma";

export function check(dir: string, r: Resources, io: CgroupIO = fsIO): UnsupportedResource[] {
  if (Object.keys(r.rdma ?? {}).length === 0 || new CgroupFiles(dir, io).has("rdma.max")) return [];
  return [new UnsupportedResource("/linux/resources/rdma", `needs the rdma controller, not enabled for ${dir} (see cgroup.subtree_control of its parent)`)];
}
