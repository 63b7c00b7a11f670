// cgroup v1 net_cls and net_prio (Documentation/admin-guide/cgroup-v1/net_cls.rst, net_prio.rst);
// cgroup v2 has neither (network classification moved to eBPF). runc's fs/net_cls.go, net_prio.go.
import type { Resources } from "../../../spec/types";
import { CgroupFiles, fsIO, int, isSet, type CgroupIO } from "../fsio";

export function applyClassID(dir: string, r: Resources, io: CgroupIO = fsIO): void {
  const id = r.network?.classID;
  if (isSet(id)) new CgroupFiles(dir, io).write("net_cls.classid", int(id));
}

/** one "ifname priority" write per interface: the kernel parses one pair per write */
export function applyPriorities(dir: string, r: Resources, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  for (const p of r.network?.priorities ?? []) f.write("net_prio.ifpriomap", `${p.name} ${int(p.priority)}`);
}
