// rdma controller (Documentation/admin-guide/cgroup-v1/rdma.rst): "mlx4_0 hca_handle=2 hca_object=2000"
// lines in rdma.max, the same in v1 and v2 (v2/rdma.ts reuses this). runc's fscommon/rdma.go.
import type { Resources } from "../../../spec/types";
import { CgroupFiles, fsIO, int, isSet, type CgroupIO } from "../fsio";

export function rdmaLines(r: Resources): string[] {
  const out: string[] = [];
  for (const [dev, l] of Object.entries(r.rdma ?? {})) {
    let line = dev;
    if (isSet(l.hcaHandles)) line += ` hca_handle=${int(l.hcaHandles)}`;
    if (isSet(l.hcaObjects)) line += ` hca_object=${int(l.hcaObjects)}`;
    if (line !== dev) out.push(line);
  }
  return out;
}

export function apply(dir: string, r: Resources, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  for (const line of rdmaLines(r)) f.write("rdma.max", line);
}
