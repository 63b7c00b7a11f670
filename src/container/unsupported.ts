// Fields the runtime-spec defines that tsrunc cannot apply on this host. Each is refused
// with an error naming the field, never ignored: a container that silently lacks its seccomp
// filter or memory limit is worse than one that does not start.
import type { Spec } from "../spec/types";
import { isIdmapped } from "../linux/mountopts";
import { isBind } from "../linux/mountopts";
import { resctrlMounted } from "../linux/intelrdt";
import { LSM_FILE, lsmActive, type LsmName } from "../linux/lsm";

// The reasons are functions: this module is evaluated in every tsrunc process (state, the init
// engine), and only a config that sets one of these fields needs /sys/kernel/security/lsm read.
// An LSM field is refused only where the host lacks the LSM (linux/lsm.ts applies it otherwise);
// an empty string asks for nothing, like runc.
type Later = [pointer: string, get: (s: Spec, lsmFile: string) => unknown, why: () => string];
const lsmField = (pointer: string, lsm: LsmName, what: string, get: (s: Spec) => string | undefined): Later => [
  pointer,
  (s, lsmFile) => (get(s) && !lsmActive(lsm, lsmFile) ? get(s) : undefined),
  () => `${what} need the ${lsm === "apparmor" ? "AppArmor" : "SELinux"} LSM, which is not enabled on this host`,
];
const LATER: Later[] = [
  lsmField("/process/apparmorProfile", "apparmor", "AppArmor profiles", (s) => s.process?.apparmorProfile),
  lsmField("/process/selinuxLabel", "selinux", "SELinux labels", (s) => s.process?.selinuxLabel),
  lsmField("/linux/mountLabel", "selinux", "SELinux mount labels", (s) => s.linux?.mountLabel),
  // the field first: resctrl is probed only for a config that asks for it
  ["/linux/intelRdt", (s) => (s.linux?.intelRdt === undefined || resctrlMounted() ? undefined : s.linux.intelRdt), () => "linux.intelRdt is not supported on this host (resctrl is not mounted at /sys/fs/resctrl)"],
];

/** `lsmFile` is the list of active LSMs (tests pass their own) */
export function unsupportedFields(spec: Spec, lsmFile = LSM_FILE): string[] {
  const out: string[] = [];
  for (const [ptr, get, why] of LATER) {
    const v = get(spec, lsmFile);
    if (v !== undefined && v !== false) out.push(`${ptr}: ${why()}`);
  }
  (spec.mounts ?? []).forEach((m, i) => {
    if (isIdmapped(m) && !isBind(m)) out.push(`/mounts/${i}: idmapped mounts must be bind mounts`);
  });
  return out;
}
