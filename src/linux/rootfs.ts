// The container's filesystem view: propagation, the rootfs bind, config mounts, pivot_root,
// masked and read-only paths (runc's prepareRootfs/finalizeRootfs order).
import * as path from "../pathname";
import { fs } from "./lazy-fs";
import type { Stats } from "node:fs";
import { readFile } from "./file";
import { MS, MNT_DETACH, MOUNT_ATTR, AT_RECURSIVE, AT_EMPTY_PATH, O, RESOLVE, type Sys } from "../sys";
import type { Mount } from "../spec/types";
import { step, SysError, StepError } from "../errors";
import { parseMountOptions, isBind } from "./mountopts";
import { ensureInRoot, fdPath, lookupInRoot } from "./fsroot";
import { mountIdmapped } from "./idmapped";
import { withMountLabel } from "./lsm";

const PROPAGATION_FLAGS: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

export interface MountContext {
  sys: Sys;
  rootfs: string;
  rootFd: number;
  bundle: string;
  /** the container's cgroup directories on the host, for a "cgroup" mount (asked for when needed) */
  cgroupDirs: () => { name: string; dir: string }[];
  inUserNs: boolean;
  /** user namespace fds carrying the id mapping of each idmapped mount (made by the parent) */
  idmapFds?: Map<Mount, number>;
  /** linux.mountLabel: the SELinux context of the filesystems the container mounts */
  mountLabel?: string;
  /** before a sysfs mount, which shows the network namespace of whoever mounts it */
  beforeSysfs?: () => void;
}

/**
 * Mount events must not reach the host: "/" becomes rslave (or what rootfsPropagation asks for),
 * then the rootfs is bound onto itself because pivot_root(2) needs new_root to be a mount point.
 */
export function prepareRoot(sys: Sys, rootfs: string, propagation: string | undefined): void {
  const flag = propagation ? PROPAGATION_FLAGS[propagation] : MS.SLAVE | MS.REC;
  if (flag === undefined) throw new Error(`linux.rootfsPropagation: unknown value ${JSON.stringify(propagation)}`);
  step("make / " + (propagation ?? "rslave"), () => sys.mount(null, "/", null, flag, null));
  // runc's rootfsParentMountPrivate: pivot_root(2) refuses a new_root (or a parent of it) that is
  // shared, and a shared parent would pass the rootfs bind below on to the host. runc makes them
  // private, and so does tsrunc by default; a slave is not shared either and sends nothing, and
  // with rootfsPropagation slave or shared it keeps the link the spec asks for: the container's
  // root "receives propagation events from the host" (runc and crun lose it)
  const keep = propagation !== undefined && /slave|shared/.test(propagation);
  const parent = mountPointOf(rootfs);
  step(`make ${JSON.stringify(parent)} ${keep ? "a slave" : "private"}`, () => sys.mount(null, parent, null, keep ? MS.SLAVE : MS.PRIVATE, null));
  step(`bind rootfs ${JSON.stringify(rootfs)}`, () => sys.mount(rootfs, rootfs, null, MS.BIND | MS.REC, null));
  step(`make rootfs ${keep ? "a slave" : "private"}`, () => sys.mount(null, rootfs, null, keep ? MS.SLAVE : MS.PRIVATE, null));
}

/** the mount point that holds `p`: the longest mount point in mountinfo that is a prefix of it */
export function mountPointOf(p: string, mountinfo = readFile("/proc/self/mountinfo")): string {
  let best = "/";
  for (const line of mountinfo.split("\n")) {
    let mp = line.split(" ")[4];
    if (mp?.includes("\\040")) mp = mp.split("\\040").join(" "); // a space in a mount point (no regular expression: see process.ts)
    if (mp && (p === mp || p.startsWith(mp.endsWith("/") ? mp : mp + "/")) && mp.length > best.length) best = mp;
  }
  return best;
}

export function applyMounts(ctx: MountContext, mounts: Mount[]): void {
  for (const m of mounts) {
    try {
      mountOne(ctx, m);
    } catch (e) {
      // a failing mount(2) already names source, type, flags and errno: only say where it was meant to go
      if (e instanceof SysError && e.syscall === "mount") {
        throw new SysError("mount", e.errno, e.detail.replace(/"\/proc\/self\/fd\/\d+"/, JSON.stringify(m.destination)));
      }
      throw new StepError(`mount ${JSON.stringify(m.source ?? m.type ?? "")} on ${JSON.stringify(m.destination)}`, e);
    }
  }
}

function mountOne(ctx: MountContext, m: Mount): void {
  const { sys } = ctx;
  const o = parseMountOptions(m.options);
  if (o.unsupported.length) throw new Error(`option ${o.unsupported.join(",")} is not supported yet`);
  if (m.type === "cgroup" && !isBind(m)) return mountCgroup(ctx, m, o.flags);
  if (m.type === "sysfs") ctx.beforeSysfs?.();
  const bind = isBind(m);
  let source = m.source ?? "";
  if (bind) {
    if (!path.isAbsolute(source)) source = path.join(ctx.bundle, source);
    let st: Stats;
    try { st = fs.statSync(source); } catch { throw new Error(`bind source ${JSON.stringify(source)} does not exist`); }
    const fd = ensureInRoot(sys, ctx.rootFd, m.destination, st.isDirectory() ? "dir" : "file");
    try {
      const usernsFd = ctx.idmapFds?.get(m);
      if (usernsFd !== undefined) mountIdmapped(sys, source, fdPath(fd), usernsFd, (o.flags & MS.REC) !== 0 || !!m.options?.includes("ridmap"));
      else sys.mount(source, fdPath(fd), null, MS.BIND | (o.flags & MS.REC), null);
    } finally { sys.close(fd); }
    setMountAttrs(ctx, m.destination, o.flags, o.clearFlags, false);
  } else {
    const fd = ensureInRoot(sys, ctx.rootFd, m.destination, "dir");
    try {
      mountFs(ctx, m, source, fdPath(fd), o.flags & ~MS.REMOUNT, withMountLabel(m.type ?? "", o.data.join(","), ctx.mountLabel));
    } finally { sys.close(fd); }
  }
  for (const p of o.propagation) withTarget(ctx, m.destination, (t) => sys.mount(null, t, null, p, null));
  if (o.recAttrSet || o.recAttrClr) {
    withTarget(ctx, m.destination, (t) => sys.mountSetattr(-100, t, AT_RECURSIVE, { attrSet: o.recAttrSet, attrClr: o.recAttrClr, propagation: 0, usernsFd: 0 }));
  }
}

function mountFs(ctx: MountContext, m: Mount, source: string, target: string, flags: number, data: string): void {
  try {
    ctx.sys.mount(source || m.type || "none", target, m.type ?? null, flags, data || null);
  } catch (e) {
    // sysfs(5) may only be mounted by the owner of the network namespace; without a new netns in
    // a user namespace runc falls back to binding the host's /sys, and so do we.
    if (m.type === "sysfs" && ctx.inUserNs && e instanceof SysError && e.errno === 1) {
      ctx.sys.mount("/sys", target, null, MS.BIND | MS.REC, null);
      return;
    }
    throw e;
  }
}

/** Re-opens the destination so the fd sees the mount just made on it, not what it covers. */
function withTarget(ctx: MountContext, dest: string, fn: (target: string) => void): void {
  const fd = lookupInRoot(ctx.sys, ctx.rootFd, dest);
  if (fd < 0) throw new Error(`${JSON.stringify(dest)} vanished after mounting`);
  try { fn(fdPath(fd)); } finally { ctx.sys.close(fd); }
}

const MS_TO_ATTR: [number, number][] = [
  [MS.RDONLY, MOUNT_ATTR.RDONLY], [MS.NOSUID, MOUNT_ATTR.NOSUID], [MS.NODEV, MOUNT_ATTR.NODEV],
  [MS.NOEXEC, MOUNT_ATTR.NOEXEC], [MS.NODIRATIME, MOUNT_ATTR.NODIRATIME], [MS.NOSYMFOLLOW, MOUNT_ATTR.NOSYMFOLLOW],
];

/**
 * Per-mount flags of a bind mount are set with mount_setattr(2), which changes only the named
 * attributes: a MS_REMOUNT|MS_BIND would also have to repeat every flag the kernel locked on
 * the source mount (nodev, nosuid from the host), or fail with EPERM in a user namespace.
 */
function mountAttrs(set: number, clear: number): { attrSet: number; attrClr: number } {
  let attrSet = 0, attrClr = 0;
  for (const [ms, attr] of MS_TO_ATTR) {
    if (set & ms) attrSet |= attr;
    if (clear & ms) attrClr |= attr;
  }
  if (set & MS.NOATIME) { attrSet |= MOUNT_ATTR.NOATIME; attrClr |= MOUNT_ATTR._ATIME; }
  if (set & MS.STRICTATIME) { attrSet |= MOUNT_ATTR.STRICTATIME; attrClr |= MOUNT_ATTR._ATIME; }
  return { attrSet, attrClr };
}

function setMountAttrs(ctx: MountContext, dest: string, set: number, clear: number, recursive: boolean): void {
  const { attrSet, attrClr } = mountAttrs(set, clear);
  if (!attrSet && !attrClr) return;
  withTarget(ctx, dest, (t) =>
    ctx.sys.mountSetattr(-100, t, recursive ? AT_RECURSIVE : 0, { attrSet, attrClr, propagation: 0, usernsFd: 0 }),
  );
}

/**
 * A "cgroup" mount shows the container its own cgroups: a tmpfs with each hierarchy's container
 * directory bound under its controller name (the cgroup v1 layout runc produces).
 */
function mountCgroup(ctx: MountContext, m: Mount, flags: number): void {
  const { sys } = ctx;
  const fd = ensureInRoot(sys, ctx.rootFd, m.destination, "dir");
  try {
    sys.mount("tmpfs", fdPath(fd), "tmpfs", flags & ~MS.RDONLY & (MS.NOSUID | MS.NODEV | MS.NOEXEC), withMountLabel("tmpfs", "mode=755", ctx.mountLabel));
  } finally { sys.close(fd); }
  // a tmpfs made just now, in a mount namespace no container process has entered yet: its
  // entries need no resolution inside the root, an fd of it and plain *at calls do
  const top = ensureInRoot(sys, ctx.rootFd, m.destination, "dir");
  try {
    for (const { name, dir } of ctx.cgroupDirs()) {
      try {
        sys.mkdirat(top, name, 0o755);
        const sub = sys.openat2(top, name, O.PATH | O.CLOEXEC, 0, RESOLVE.NO_SYMLINKS | RESOLVE.BENEATH);
        try { sys.mount(dir, fdPath(sub), null, MS.BIND, null); } finally { sys.close(sub); }
      } catch (e) {
        throw new StepError(`mount cgroup ${JSON.stringify(dir)} on ${JSON.stringify(`${m.destination}/${name}`)}`, e);
      }
    }
    // nosuid, nodev, noexec (and ro) on the tmpfs and every bind below it, in one call
    const { attrSet, attrClr } = mountAttrs(flags | MS.NOSUID | MS.NODEV | MS.NOEXEC, 0);
    step(`set the attributes of ${JSON.stringify(m.destination)}`, () => sys.mountSetattr(top, "", AT_EMPTY_PATH | AT_RECURSIVE, { attrSet, attrClr, propagation: 0, usernsFd: 0 }));
  } finally { sys.close(top); }
}

/** pivot_root(".", ".") then detach the old root, the way runc avoids a temporary put_old dir. */
export function pivotRoot(sys: Sys, rootfs: string): void {
  const oldRoot = step("open /", () => sys.open("/", O.DIRECTORY | O.RDONLY | O.CLOEXEC, 0));
  let newRoot = -1;
  try {
    newRoot = step(`open ${JSON.stringify(rootfs)}`, () => sys.open(rootfs, O.DIRECTORY | O.RDONLY | O.CLOEXEC, 0));
    sys.fchdir(newRoot);
    step("pivot_root", () => sys.pivotRoot(".", "."));
    sys.fchdir(oldRoot);
    // the old root is still shared with the host: make it a slave before detaching, or the
    // unmount would propagate to the host's mounts
    step("make old root rslave", () => sys.mount(null, ".", null, MS.SLAVE | MS.REC, null));
    step("detach old root", () => sys.umount2(".", MNT_DETACH));
    sys.chdir("/");
  } finally {
    sys.close(oldRoot);
    if (newRoot >= 0) sys.close(newRoot);
  }
}

/** --no-pivot: move the rootfs over / and chroot (for ramfs roots, where pivot_root is refused). */
export function moveRoot(sys: Sys, rootfs: string): void {
  sys.chdir(rootfs);
  step("move rootfs to /", () => sys.mount(rootfs, "/", null, MS.MOVE, null));
  step("chroot", () => sys.chroot("."));
  sys.chdir("/");
}

export function setRootPropagation(sys: Sys, propagation: string | undefined): void {
  if (!propagation) return;
  step(`make / ${propagation}`, () => sys.mount(null, "/", null, PROPAGATION_FLAGS[propagation], null));
}

export function readonlyRoot(sys: Sys): void {
  step("remount / read-only", () => sys.mountSetattr(-100, "/", 0, { attrSet: MOUNT_ATTR.RDONLY, attrClr: 0, propagation: 0, usernsFd: 0 }));
}



