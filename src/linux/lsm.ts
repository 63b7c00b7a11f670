// Linux security modules for the container process: an AppArmor profile and an SELinux label
// both take effect at the next execve(2), so stage 2 only records them in the calling thread's
// procfs attributes (/proc/thread-self/attr/...) before it execs; the SELinux label for keys is
// recorded before the session keyring is made, and linux.mountLabel becomes a context= option
// in the data of the filesystems the container mounts.
//
// The writes go through linux/procfs.ts (CVE-2025-52881: checked to land on a real procfs).
import { fs } from "./lazy-fs";
import { MS, type Sys } from "../sys";
import { step } from "../errors";
import { writeProc } from "./procfs";


/** securityfs lists the active LSMs, comma separated ("lockdown,capability,landlock,yama,apparmor") */
export const LSM_FILE = "/sys/kernel/security/lsm";

export type LsmName = "apparmor" | "selinux";

/**
 * Whether the kernel has this LSM enabled. A missing file (securityfs not mounted, or a kernel
 * without it) counts as "no": then nothing could tell that a label was applied.
 */
export function lsmActive(name: LsmName, lsmFile = LSM_FILE): boolean {
  let list = "";
  try { list = fs.readFileSync(lsmFile, "utf8"); } catch { /* not there: none active */ }
  return list.trim().split(",").includes(name);
}

/**
 * aa_change_onexec: the profile the next execve(2) switches to. AppArmor parses "exec <profile>"
 * written to its own attribute directory (attr/apparmor/, kernel 5.1 and later, where LSMs can
 * stack) or, on older kernels, to the shared attr/exec. An empty profile leaves the process as is.
 */
export function applyApparmorProfile(sys: Sys, profile: string | undefined): void {
  if (!profile) return;
  step(`apparmor: set exec profile ${JSON.stringify(profile)}`, () => {
    writeProc(sys, ["thread-self/attr/apparmor/exec", "thread-self/attr/exec"], `exec ${profile}`);
  });
}

/** setexeccon: the SELinux context the next execve(2) runs in. Empty: the policy's transition. */
export function setSelinuxExecLabel(sys: Sys, label: string | undefined): void {
  if (!label) return;
  step(`selinux: set exec label ${JSON.stringify(label)}`, () => {
    writeProc(sys, ["thread-self/attr/exec"], label);
  });
}

/**
 * setkeycreatecon: the context of keys this thread creates next, so the session keyring joined
 * right after gets the container's label instead of the runtime's. A kernel without the
 * keycreate attribute cannot label keys at all; like go-selinux that is not an error. No reset
 * is needed afterwards: SELinux clears keycreate on execve(2).
 */
export function setSelinuxKeyLabel(sys: Sys, label: string | undefined): void {
  if (!label) return;
  step(`selinux: set key label ${JSON.stringify(label)}`, () => {
    writeProc(sys, ["thread-self/attr/keycreate"], label, true);
  });
}

/**
 * Filesystems that never get a context= option:
 * - proc and sysfs are labelled by the policy's genfs rules and SELinux refuses context= on them;
 * - mqueue: a new IPC namespace's mqueue superblock already exists (the kernel mounts it
 *   internally), so mounting it again with different security options fails with EINVAL
 *   ("SELinux: mount invalid. Same superblock, different security settings");
 * - cgroup and cgroup2 share superblocks across mounts for the same reason.
 */
const UNLABELLED_FS = new Set(["proc", "sysfs", "mqueue", "cgroup", "cgroup2"]);

/** options that fix a mount's SELinux context already; context= cannot be combined with them */
const CONTEXT_OPTION = /(^|,)\s*(context|fscontext|defcontext)=/;

/**
 * label.FormatMountLabel for one mount(2): the data with `context="<label>"` appended, so every
 * file of the new filesystem carries the container's label. The label is quoted because an MCS
 * level has commas ("s0:c1,c2"), which would otherwise split the option. Bind, move and
 * remount calls, the filesystems above, data that already sets a context and an empty label
 * give the data back unchanged.
 */
export function withMountLabel(fstype: string | null | undefined, data: string | null | undefined, label: string | undefined, flags = 0): string {
  const base = data ?? "";
  if (!label || !fstype || fstype === "bind" || UNLABELLED_FS.has(fstype)) return base;
  if (flags & (MS.BIND | MS.MOVE | MS.REMOUNT)) return base;
  if (CONTEXT_OPTION.test(base)) return base;
  if (label.includes('"')) throw new Error(`mount label ${JSON.stringify(label)}: a double quote cannot be passed in mount data`);
  const opt = `context="${label}"`;
  return base ? `${base},${opt}` : opt;
}
