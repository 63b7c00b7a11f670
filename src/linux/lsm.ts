// Linux security modules for the container process: an AppArmor profile and an SELinux label
// both take effect at the next execve(2), so stage 2 only records them in the calling thread's
// procfs attributes (/proc/thread-self/attr/...) before it execs; the SELinux label for keys is
// recorded before the session keyring is made, and linux.mountLabel becomes a context= option
// in the data of the filesystems the container mounts.
//
// CVE-2025-52881: the container controls what is mounted at /proc by the time these writes
// happen (a bind of /proc/sys/kernel/core_pattern over /proc/self/attr/exec would turn the
// write into a host-wide change). So every write here goes through an fd that
//   - is opened from a /proc directory fd that fstatfs(2) shows to be a procfs,
//   - with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV): no step may leave
//     /proc, follow a magic link or cross into another mount (a bind over the attribute file or
//     any directory on the way is a mount crossing, refused with EXDEV; the plain thread-self
//     symlink stays inside and is allowed),
//   - and is itself on procfs (fstatfs again: with RESOLVE_NO_XDEV it cannot fail on a sound
//     kernel, so it costs one syscall to not depend on openat2's flags alone).
import * as fs from "node:fs";
import { ENOENT, MS, O, RESOLVE, type Sys } from "../sys";
import { SysError, step } from "../errors";

/** securityfs lists the active LSMs, comma separated ("lockdown,capability,landlock,yama,apparmor") */
export const LSM_FILE = "/sys/kernel/security/lsm";

/** statfs(2) f_type of procfs */
export const PROC_SUPER_MAGIC = 0x9fa0;

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

const ATTR_RESOLVE = RESOLVE.BENEATH | RESOLVE.NO_MAGICLINKS | RESOLVE.NO_XDEV;

function requireProcfs(sys: Sys, fd: number, what: string): void {
  const type = sys.fstatfs(fd);
  if (type !== PROC_SUPER_MAGIC) {
    throw new Error(`${what} is not on procfs (filesystem type 0x${type.toString(16)}): refusing to write a security attribute through it`);
  }
}

/** /proc as an O_PATH directory fd, refused unless it is a procfs (a symlink fails O_DIRECTORY) */
function openProcDir(sys: Sys): number {
  let fd: number;
  try {
    fd = sys.open("/proc", O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC, 0);
  } catch (e) {
    throw e instanceof SysError ? new SysError("open", e.errno, "/proc") : e;
  }
  try {
    requireProcfs(sys, fd, "/proc");
  } catch (e) {
    sys.close(fd);
    throw e;
  }
  return fd;
}

/**
 * Writes `value` in one write(2) to the first of `rels` (paths below /proc) that exists; an
 * attribute file takes its whole value in a single write, so a short write is an error. ENOENT
 * moves on to the next path; on the last one it is an error unless `missingOk`, in which case
 * the function returns false. Returns the /proc path written.
 */
export function writeProcAttr(sys: Sys, rels: string[], value: string, missingOk = false): string | false {
  const dir = openProcDir(sys);
  try {
    for (let i = 0; i < rels.length; i++) {
      const where = `/proc/${rels[i]}`;
      let fd: number;
      try {
        fd = sys.openat2(dir, rels[i], O.WRONLY | O.CLOEXEC, 0, ATTR_RESOLVE);
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        if (e.errno === ENOENT && i + 1 < rels.length) continue;
        if (e.errno === ENOENT && missingOk) return false;
        throw new SysError("open", e.errno, where);
      }
      try {
        requireProcfs(sys, fd, where);
        const data = Buffer.from(value);
        let n: number;
        try { n = sys.write(fd, data); } catch (e) {
          throw e instanceof SysError ? new SysError("write", e.errno, where) : e;
        }
        if (n !== data.length) throw new Error(`write ${where}: wrote ${n} of ${data.length} bytes`);
        return where;
      } finally {
        sys.close(fd);
      }
    }
    throw new Error("writeProcAttr: no path given");
  } finally {
    sys.close(dir);
  }
}

/**
 * aa_change_onexec: the profile the next execve(2) switches to. AppArmor parses "exec <profile>"
 * written to its own attribute directory (attr/apparmor/, kernel 5.1 and later, where LSMs can
 * stack) or, on older kernels, to the shared attr/exec. An empty profile leaves the process as is.
 */
export function applyApparmorProfile(sys: Sys, profile: string | undefined): void {
  if (!profile) return;
  step(`apparmor: set exec profile ${JSON.stringify(profile)}`, () => {
    writeProcAttr(sys, ["thread-self/attr/apparmor/exec", "thread-self/attr/exec"], `exec ${profile}`);
  });
}

/** setexeccon: the SELinux context the next execve(2) runs in. Empty: the policy's transition. */
export function setSelinuxExecLabel(sys: Sys, label: string | undefined): void {
  if (!label) return;
  step(`selinux: set exec label ${JSON.stringify(label)}`, () => {
    writeProcAttr(sys, ["thread-self/attr/exec"], label);
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
    writeProcAttr(sys, ["thread-self/attr/keycreate"], label, true);
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
