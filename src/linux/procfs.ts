// Writes to procfs files of the container's /proc: security attributes (lsm.ts), sysctl values
// (sysctl.ts), oom_score_adj.
//
// CVE-2025-52881: the container controls what is mounted at /proc by the time these writes
// happen (a bind of /proc/sys/kernel/core_pattern over /proc/self/attr/exec or
// /proc/sys/net/... would turn the write into a host-wide change). So every write goes through
// an fd that
//   - is opened from a /proc directory fd that fstatfs(2) shows to be a procfs,
//   - with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV): no step may leave
//     /proc, follow a magic link or cross into another mount (a bind over the file or any
//     directory on the way is a mount crossing, refused with EXDEV; the plain self and
//     thread-self symlinks stay inside and are allowed),
//   - and is itself on procfs (fstatfs again: with RESOLVE_NO_XDEV it cannot fail on a sound
//     kernel, so it costs one syscall to not depend on openat2's flags alone).
import { ENOENT, O, RESOLVE, type Sys } from "../sys";
import { SysError } from "../errors";
import { bytes } from "../sys/bytes";

/** statfs(2) f_type of procfs */
export const PROC_SUPER_MAGIC = 0x9fa0;

const ATTR_RESOLVE = RESOLVE.BENEATH | RESOLVE.NO_MAGICLINKS | RESOLVE.NO_XDEV;

function requireProcfs(sys: Sys, fd: number, what: string): void {
  const type = sys.fstatfs(fd);
  if (type !== PROC_SUPER_MAGIC) {
    throw new Error(`${what} is not on procfs (filesystem type 0x${type.toString(16)}): refusing to write through it`);
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
export function writeProc(sys: Sys, rels: string[], value: string, missingOk = false): string | false {
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
        const data = bytes(value);
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
    throw new Error("writeProc: no path given");
  } finally {
    sys.close(dir);
  }
}

