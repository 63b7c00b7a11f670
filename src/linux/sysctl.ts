// linux.sysctl written under /proc/sys after the container's /proc is mounted, so each value lands
// in the container's own (ipc/net/uts) namespace. Which keys are allowed is decided in spec/validate.
import * as fs from "node:fs";
import { step } from "../errors";

export function sysctlPath(key: string): string {
  // "net.ipv4.ip_forward" and "net/ipv4/ip_forward" are both accepted, like runc
  const rel = key.includes("/") ? key : key.replace(/\./g, "/");
  if (rel.split("/").some((c) => c === ".." || c === "")) throw new Error(`sysctl ${JSON.stringify(key)}: invalid name`);
  return `/proc/sys/${rel}`;
}

export function applySysctl(sysctl: Record<string, string>): void {
  for (const [k, v] of Object.entries(sysctl)) {
    step(`write sysctl ${k}=${JSON.stringify(v)}`, () => {
      const p = sysctlPath(k);
      // O_NOFOLLOW on the last component: /proc/sys has no symlinks, anything else is an attack
      const fd = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW | 0o2000000);
      try { fs.writeSync(fd, v); } finally { fs.closeSync(fd); }
    });
  }
}
