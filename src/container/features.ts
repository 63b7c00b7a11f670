// `tsrunc features` (runtime-spec features.md): claims only what this build applies for real.
import { lsmActive } from "../linux/lsm";
import * as fs from "node:fs";
import { CAP_NAMES } from "../linux/capabilities";
import { hostHierarchies } from "../linux/cgroups";
import { systemdRunning } from "../linux/cgroups/systemd";
import { NS_PROC_NAME } from "../linux/namespaces";
import { mountOptionNames } from "../linux/mountopts";
import { resctrlMounted } from "../linux/intelrdt";

export function features(): Record<string, unknown> {
  const hier = hostHierarchies();
  return {
    ociVersionMin: "1.0.0",
    ociVersionMax: "1.3.0",
    hooks: ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
    mountOptions: mountOptionNames(),
    linux: {
      namespaces: Object.entries(NS_PROC_NAME).filter(([, n]) => fs.existsSync(`/proc/self/ns/${n}`)).map(([t]) => t),
      capabilities: CAP_NAMES,
      cgroup: { v1: hier.some((h) => h.version === 1), v2: hier.some((h) => h.version === 2), systemd: systemdRunning(), systemdUser: false, rdma: false },
      seccomp: {
        enabled: true,
        actions: ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE"],
        operators: ["SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"],
        archs: ["SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32"],
        knownFlags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
        supportedFlags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
      },
      apparmor: { enabled: lsmActive("apparmor") },
      selinux: { enabled: lsmActive("selinux") },
      intelRdt: { enabled: resctrlMounted(), schemata: resctrlMounted(), monitoring: resctrlMounted() },
      mountExtensions: { idmap: { enabled: true } },
      netDevices: { enabled: true },
      memoryPolicy: {
        modes: ["MPOL_DEFAULT", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL"],
        flags: ["MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"],
      },
    },
    annotations: { "org.opencontainers.runtime-spec.features.tsrunc": "foundation" },
    potentiallyUnsafeConfigAnnotations: [],
  };
}
