// After pivot_root: masked paths, read-only paths and /dev/console, each mounted onto an fd of the
// target opened without following a symlink, never onto a path string. The container's image
// (or, with shared mounts, another container) decides what these paths are:
// - CVE-2025-31133: a masked path gets a bind of /dev/null; if /dev/null were a symlink (say to
//   /proc/sys/kernel/core_pattern), binding "/dev/null" by name would give the container that
//   file writable in the masked path's place. /dev/null is opened once, without following a
//   symlink, checked to be the character device 1:3, and bound from its fd.
// - CVE-2025-52565: /dev/console as a symlink would move the pty bind onto whatever it names;
//   the target is opened with O_NOFOLLOW and must be a file or a character device.
// A symlink at a masked or read-only path is refused: the kernel makes none in procfs or sysfs,
// so one there was put by someone else.
import { MS, AT_RECURSIVE, AT_EMPTY_PATH, MOUNT_ATTR, O, S_IF, ENOENT, type Sys } from "../sys";
import { SysError, step } from "../errors";
import { fdPath } from "./fsroot";

const S_IFMT = 0o170000;
/** makedev(1, 3): the memory device /dev/null */
const DEV_NULL = 0x103;

type Kind = "dir" | "file" | "chr" | "other";

function kindOf(mode: number): Kind {
  const t = mode & S_IFMT;
  return t === S_IF.DIR ? "dir" : t === S_IF.REG ? "file" : t === S_IF.CHR ? "chr" : "other";
}

/** an O_PATH fd of p (no symlink followed at the last step), or -1 when p does not exist */
export function openTarget(sys: Sys, p: string): { fd: number; kind: Kind; rdev: number } | null {
  let fd: number;
  try {
    fd = sys.open(p, O.PATH | O.NOFOLLOW | O.CLOEXEC, 0);
  } catch (e) {
    if (e instanceof SysError && e.errno === ENOENT) return null;
    throw e;
  }
  const st = sys.fstat(fd);
  if ((st.mode & S_IFMT) === S_IF.LNK) {
    sys.close(fd);
    throw new Error(`${JSON.stringify(p)} is a symlink; refusing to mount over what it points to`);
  }
  return { fd, kind: kindOf(st.mode), rdev: st.rdev };
}

/** Directories get a read-only tmpfs, anything else a bind of the verified /dev/null. */
export function maskPaths(sys: Sys, paths: string[], withLabel: (data: string | null) => string | null = (d) => d): void {
  let devNull = -1;
  try {
    for (const p of paths) {
      step(`mask ${JSON.stringify(p)}`, () => {
        const t = openTarget(sys, p);
        if (!t) return;
        try {
          if (t.kind === "dir") {
            sys.mount("tmpfs", fdPath(t.fd), "tmpfs", MS.RDONLY, withLabel(null));
            return;
          }
          if (devNull < 0) devNull = verifiedDevNull(sys);
          sys.mount(fdPath(devNull), fdPath(t.fd), null, MS.BIND, null);
        } finally {
          sys.close(t.fd);
        }
      });
    }
  } finally {
    if (devNull >= 0) sys.close(devNull);
  }
}

function verifiedDevNull(sys: Sys): number {
  const t = openTarget(sys, "/dev/null");
  if (!t) throw new Error("/dev/null does not exist");
  if (t.kind !== "chr" || t.rdev !== DEV_NULL) {
    sys.close(t.fd);
    throw new Error(`/dev/null is not the null device (character device 1:3); refusing to bind it over a masked path`);
  }
  return t.fd;
}

/** A recursive bind of the path onto itself, then MOUNT_ATTR_RDONLY on the whole tree. */
export function readonlyPaths(sys: Sys, paths: string[]): void {
  for (const p of paths) {
    step(`make ${JSON.stringify(p)} read-only`, () => {
      const t = openTarget(sys, p);
      if (!t) return;
      try {
        sys.mount(fdPath(t.fd), fdPath(t.fd), null, MS.BIND | MS.REC, null);
      } finally {
        sys.close(t.fd);
      }
      // the bind is a new mount on top: open it again to reach it rather than what it covers
      const m = openTarget(sys, p)!;
      try {
        sys.mountSetattr(m.fd, "", AT_RECURSIVE | AT_EMPTY_PATH, { attrSet: MOUNT_ATTR.RDONLY, attrClr: 0, propagation: 0, usernsFd: 0 });
      } finally {
        sys.close(m.fd);
      }
    });
  }
}

/** /dev/console for the pty slave: made if missing (O_EXCL: never through a symlink), verified */
export function consoleTarget(sys: Sys): number {
  let t = openTarget(sys, "/dev/console");
  if (!t) {
    sys.close(sys.open("/dev/console", O.CREAT | O.EXCL | O.NOFOLLOW | O.WRONLY | O.CLOEXEC, 0o600));
    t = openTarget(sys, "/dev/console")!;
  }
  if (t.kind !== "file" && t.kind !== "chr") {
    sys.close(t.fd);
    throw new Error(`/dev/console is a ${t.kind === "dir" ? "directory" : "special file"}; refusing to bind the console over it`);
  }
  return t.fd;
}
