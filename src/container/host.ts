// Facts about this host that validation needs; probed here so src/spec stays pure.
// Probed at the least cost, because every create pays for it: the facts only rare configs need (cgroup v2 for
// `unified` or swap, SELinux for a label, our own netns for a joined one) are probed on first read.
import { fs } from "../linux/lazy-fs";
import type { Stats } from "node:fs";
import { exists } from "../linux/file";
import type { HostFacts } from "../spec/validate";
import type { NamespaceType } from "../spec/types";
import { NS_PROC_NAME } from "../linux/namespaces";

/** the namespace types whose file /proc/self/ns lists */
export function kernelNamespaces(entries: readonly string[]): Set<NamespaceType> {
  const present = new Set(entries);
  const out = new Set<NamespaceType>();
  for (const type in NS_PROC_NAME) {
    if (present.has(NS_PROC_NAME[type as NamespaceType])) out.add(type as NamespaceType);
  }
  return out;
}

export function hostFacts(): HostFacts {
  // one access(2) per type through Sys, not a listing: create loads no node:fs before its plan
  const entries = Object.values(NS_PROC_NAME).filter((n) => exists(`/proc/self/ns/${n}`));
  let own: Stats | undefined;
  let cgroupV2: boolean | undefined;
  let selinux: boolean | undefined;
  return {
    namespaces: kernelNamespaces(entries),
    rootless: process.geteuid?.() !== 0,
    get cgroupV2() {
      return (cgroupV2 ??= exists("/sys/fs/cgroup/cgroup.controllers"));
    },
    get selinux() {
      return (selinux ??= exists("/sys/fs/selinux/enforce"));
    },
    isHostNetns: (p) => {
      own ??= fs.statSync("/proc/self/ns/net");
      try {
        const st = fs.statSync(p);
        return st.dev === own.dev && st.ino === own.ino;
      } catch {
        return false;
      }
    },
  };
}
