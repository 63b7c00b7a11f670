// Resolving paths inside the container's rootfs without ever leaving it (CVE-2021-30465): every
// lookup is openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) from an fd of the rootfs, so a
// symlink (even one swapped in by a racing container) resolves against the rootfs, and mounts go
// onto the verified fd through /proc/self/fd/N instead of onto a path string.
import { O, RESOLVE, S_IF, ENOENT, EEXIST, type Sys } from "../sys";
import { SysError } from "../errors";
import { fs } from "./lazy-fs";
import { posix } from "../pathname";
import { filter } from "../sys/arrays";

const IN_ROOT = RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS;

export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

export function components(p: string): string[] {
  return filter(p.split("/"), (c) => c !== "" && c !== ".");
}

export function openRoot(sys: Sys, rootfs: string): number {
  return sys.open(rootfs, O.PATH | O.DIRECTORY | O.CLOEXEC, 0);
}

/** O_PATH fd of `p` inside the root, or -1 when it does not exist. */
export function lookupInRoot(sys: Sys, rootFd: number, p: string): number {
  const rel = components(p).join("/") || ".";
  try {
    return sys.openat2(rootFd, rel, O.PATH | O.CLOEXEC, 0, IN_ROOT);
  } catch (e) {
    if (e instanceof SysError && e.errno === ENOENT) return -1;
    throw e;
  }
}

/**
 * O_PATH fd of `p` inside the root, creating missing parents as directories and the last
 * component as a directory or an empty file (a bind mount of a file needs a file to land on).
 */
export function ensureInRoot(sys: Sys, rootFd: number, p: string, kind: "dir" | "file", mode = 0o755, depth = 0): number {
  if (depth > 40) throw new SysError("openat2", 40 /* ELOOP */, JSON.stringify(p));
  const parts = components(p);
  let fd = lookupInRoot(sys, rootFd, p);
  if (fd >= 0) return fd;
  let parentFd = sys.openat2(rootFd, ".", O.PATH | O.CLOEXEC, 0, IN_ROOT);
  try {
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      const sub = parts.slice(0, i + 1).join("/");
      let next = lookupInRoot(sys, rootFd, sub);
      if (next < 0) {
        try {
          if (last && kind === "file") sys.mknodat(parentFd, parts[i], S_IF.REG | 0o644, 0);
          else sys.mkdirat(parentFd, parts[i], mode);
        } catch (e) {
          if (!(e instanceof SysError && e.errno === EEXIST)) throw e;
          // a dangling symlink: create what it points to, resolved inside the root like the kernel would
          const target = danglingTarget(parentFd, parts[i]);
          if (target !== null) {
            const base = target.startsWith("/") ? target : posix.join("/", ...parts.slice(0, i), target);
            return ensureInRoot(sys, rootFd, posix.join(base, ...parts.slice(i + 1)), kind, mode, depth + 1);
          }
          throw e;
        }
        next = sys.openat2(rootFd, sub, O.PATH | O.CLOEXEC, 0, IN_ROOT);
      }
      sys.close(parentFd);
      parentFd = next;
    }
    fd = parentFd;
    parentFd = -1;
    return fd;
  } finally {
    if (parentFd >= 0) sys.close(parentFd);
  }
}

function danglingTarget(dirFd: number, name: string): string | null {
  try {
    return fs.readlinkSync(`${fdPath(dirFd)}/${name}`);
  } catch {
    return null;
  }
}

/**
 * O_PATH fd of the directory that holds `p` (created if missing) and the last component's name.
 * With `dirs`, a directory already opened is reused (the caller closes them all; the devices of
 * /dev share one).
 */
export function parentInRoot(sys: Sys, rootFd: number, p: string, dirs?: Map<string, number>): { dirFd: number; name: string } {
  const parts = components(p);
  if (parts.length === 0) throw new Error(`${JSON.stringify(p)}: the root itself has no parent`);
  const name = parts.pop()!;
  const dir = "/" + parts.join("/");
  let dirFd = dirs?.get(dir);
  if (dirFd === undefined) {
    dirFd = ensureInRoot(sys, rootFd, dir, "dir");
    dirs?.set(dir, dirFd);
  }
  return { dirFd, name };
}
