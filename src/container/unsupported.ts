// Fields the runtime-spec defines that this build of tsrunc does not apply yet. Each is refused
// with an error naming the field, never ignored: a container that silently lacks its seccomp
// filter or memory limit is worse than one that does not start.
import * as fs from "node:fs";
import type { Spec } from "../spec/types";
import { isIdmapped } from "../linux/idmapped";
import { isBind } from "../linux/mountopts";
import { resctrlMounted } from "../linux/intelrdt";

// The reasons are functions: this module is evaluated in every tsrunc process (state, the init
// engine), and only a config that sets one of these fields needs /sys/kernel/security/lsm read.
const LATER: [pointer: string, get: (s: Spec) => unknown, why: () => string][] = [
  ["/process/apparmorProfile", (s) => s.process?.apparmorProfile, () => lsmWhy("apparmor", "AppArmor profiles")],
  ["/process/selinuxLabel", (s) => s.process?.selinuxLabel, () => lsmWhy("selinux", "SELinux labels")],
  ["/linux/mountLabel", (s) => s.linux?.mountLabel, () => lsmWhy("selinux", "SELinux mount labels")],
  // the field first: resctrl is probed only for a config that asks for it
  ["/linux/intelRdt", (s) => (s.linux?.intelRdt === undefined || resctrlMounted() ? undefined : s.linux.intelRdt), () => "linux.intelRdt is not supported on this host (resctrl is not mounted at /sys/fs/resctrl)"],
];

/** the host may simply not have the LSM (this machine has neither): say that first */
function lsmWhy(lsm: string, what: string): string {
  let active = "";
  try { active = fs.readFileSync("/sys/kernel/security/lsm", "utf8"); } catch { /* securityfs not mounted */ }
  return active.split(",").includes(lsm) ? `${what} are not supported by tsrunc yet` : `${what} need the ${lsm === "apparmor" ? "AppArmor" : "SELinux"} LSM, which is not enabled on this host`;
}

export function unsupportedFields(spec: Spec): string[] {
  const out: string[] = [];
  for (const [ptr, get, why] of LATER) {
    const v = get(spec);
    if (v !== undefined && v !== false) out.push(`${ptr}: ${why()}`);
  }
  (spec.mounts ?? []).forEach((m, i) => {
    if (isIdmapped(m) && !isBind(m)) out.push(`/mounts/${i}: idmapped mounts must be bind mounts`);
  });
  return out;
}
