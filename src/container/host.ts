// Facts about this host that validation needs; probed here so src/spec stays pure.
import * as fs from "node:fs";
import type { HostFacts } from "../spec/validate";
import type { NamespaceType } from "../spec/types";
import { NS_PROC_NAME } from "../linux/namespaces";

export function hostFacts(): HostFacts {
  const namespaces = new Set<NamespaceType>();
  for (const [type, name] of Object.entries(NS_PROC_NAME)) {
    if (fs.existsSync(`/proc/self/ns/${name}`)) namespaces.add(type as NamespaceType);
  }
  const own = fs.statSync("/proc/self/ns/net");
  return {
    namespaces,
    rootless: process.geteuid?.() !== 0,
    cgroupV2: fs.existsSync("/sys/fs/cgroup/cgroup.controllers"),
    selinux: fs.existsSync("/sys/fs/selinux/enforce"),
    isHostNetns: (p) => {
      try {
        const st = fs.statSync(p);
        return st.dev === own.dev && st.ino === own.ino;
      } catch {
        return false;
      }
    },
  };
}
