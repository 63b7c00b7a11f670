// linux.sysctl written under /proc/sys after the container's /proc is mounted, so each value lands
// in the container's own (ipc/net/uts) namespace. Which keys are allowed is decided in spec/validate.
import type { Sys } from "../sys";
import { step } from "../errors";
import { writeProc } from "./procfs";
import { some } from "../sys/arrays";

export function sysctlPath(key: string): string {
  // "net.ipv4.ip_forward" and "net/ipv4/ip_forward" are both accepted, like runc
  const rel = key.includes("/") ? key : key.replace(/\./g, "/");
  if (some(rel.split("/"), (c) => c === ".." || c === "")) throw new Error(`sysctl ${JSON.stringify(key)}: invalid name`);
  return `/proc/sys/${rel}`;
}

/** through a checked procfs fd (procfs.ts, CVE-2025-52881): a bind over a /proc/sys file is refused */
export function applySysctl(sys: Sys, sysctl: Record<string, string>): void {
  for (const [k, v] of Object.entries(sysctl)) {
    step(`write sysctl ${k}=${JSON.stringify(v)}`, () => {
      writeProc(sys, [sysctlPath(k).slice("/proc/".length)], v);
    });
  }
}
