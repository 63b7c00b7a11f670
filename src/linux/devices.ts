// /dev inside the container: the runtime-spec's default devices, linux.devices, and the
// conventional symlinks (config-linux.md "Default Devices", runc's setupDevSymlinks).
import { fs } from "./lazy-fs";
import { S_IF, MS, type Sys } from "../sys";
import type { Device } from "../spec/types";
import { step, SysError } from "../errors";
import { ensureInRoot, fdPath, parentInRoot } from "./fsroot";

export const DEFAULT_DEVICES: Device[] = [
  { path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/zero", type: "c", major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/full", type: "c", major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/random", type: "c", major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/urandom", type: "c", major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/tty", type: "c", major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

const LINKS: [target: string, link: string][] = [
  ["/proc/self/fd", "/dev/fd"], ["/proc/self/fd/0", "/dev/stdin"], ["/proc/self/fd/1", "/dev/stdout"],
  ["/proc/self/fd/2", "/dev/stderr"], ["pts/ptmx", "/dev/ptmx"],
];

/** makedev(3) for the kernel's 32-bit dev_t encoding used by mknod */
export function makedev(major: number, minor: number): number {
  if (major > 0xfff || minor > 0xfffff || major < 0 || minor < 0) throw new Error(`device number ${major}:${minor} is out of range`);
  return ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;
}

export function deviceTypeBits(type: string): number {
  switch (type) {
    case "c": case "u": return S_IF.CHR;
    case "b": return S_IF.BLK;
    case "p": return S_IF.FIFO;
    default: throw new Error(`device type ${JSON.stringify(type)}: must be one of c, b, u, p`);
  }
}

/** Default devices first, config devices override entries with the same path. */
export function devicesToCreate(configDevices: Device[] | undefined): Device[] {
  const byPath = new Map<string, Device>();
  for (const d of [...DEFAULT_DEVICES, ...(configDevices ?? [])]) byPath.set(d.path, d);
  return [...byPath.values()];
}

/**
 * mknod(2) is refused in a user namespace (devices are not namespaced), so there the host's
 * device node is bind-mounted onto an empty file instead, as runc does for rootless containers.
 */
export function createDevices(sys: Sys, rootFd: number, devices: Device[], inUserNs: boolean): void {
  const dirs = new Map<string, number>();
  try {
    for (const d of devices) createDevice(sys, rootFd, d, inUserNs, dirs);
  } finally {
    for (const fd of dirs.values()) sys.close(fd);
  }
}

function createDevice(sys: Sys, rootFd: number, d: Device, inUserNs: boolean, dirs: Map<string, number>): void {
  step(`create device ${JSON.stringify(d.path)}`, () => {
    if (inUserNs) {
      const fd = ensureInRoot(sys, rootFd, d.path, "file");
      try { sys.mount(d.path, fdPath(fd), null, MS.BIND, null); } finally { sys.close(fd); }
      return;
    }
    const { dirFd, name } = parentInRoot(sys, rootFd, d.path, dirs);
    const mode = deviceTypeBits(d.type) | ((d.fileMode ?? 0o666) & 0o7777);
    try {
      sys.mknodat(dirFd, name, mode, d.type === "p" ? 0 : makedev(d.major ?? 0, d.minor ?? 0));
    } catch (e) {
      if (!(e instanceof SysError && e.errno === 17)) throw e;
      // config-linux.md: an existing file that does not match the requested device is an error
      checkExisting(`/proc/self/fd/${dirFd}/${name}`, d);
      return;
    }
    sys.fchownat(dirFd, name, d.uid ?? 0, d.gid ?? 0, 0x100 /* AT_SYMLINK_NOFOLLOW */);
  });
}

function checkExisting(p: string, d: Device): void {
  const st = fs.statSync(p);
  const typeOk = d.type === "b" ? st.isBlockDevice() : d.type === "p" ? st.isFIFO() : st.isCharacterDevice();
  const devOk = d.type === "p" || (Number(st.rdev) >>> 0) === makedev(d.major ?? 0, d.minor ?? 0);
  if (!typeOk || !devOk) throw new Error(`${JSON.stringify(d.path)} already exists and is not the ${d.type} ${d.major}:${d.minor} device`);
}

export function createDevSymlinks(sys: Sys, rootFd: number): void {
  const dirs = new Map<string, number>();
  try {
    for (const [target, link] of LINKS) {
      step(`symlink ${link}`, () => {
        const { dirFd, name } = parentInRoot(sys, rootFd, link, dirs);
        try {
          sys.symlinkat(target, dirFd, name);
        } catch (e) {
          if (!(e instanceof SysError && e.errno === 17)) throw e;
        }
      });
    }
  } finally {
    for (const fd of dirs.values()) sys.close(fd);
  }
}
