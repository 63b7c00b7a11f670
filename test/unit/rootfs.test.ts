// The container's filesystem view as call sequences: root propagation and the rootfs bind,
// config mounts (proc, tmpfs, bind, cgroup, sysfs fallback), pivot_root, masked/read-only paths.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SysError } from "../../src/errors";
import { applyMounts, mountPointOf, moveRoot, pivotRoot, prepareRoot, readonlyRoot, setRootPropagation, type MountContext } from "../../src/linux/rootfs";
import type { Mount } from "../../src/spec/types";
import { AT_EMPTY_PATH, AT_RECURSIVE, EPERM, MNT_DETACH, MOUNT_ATTR, MS, O, RESOLVE, S_IF } from "../../src/sys";
import { FakeSys, type Call } from "../fake-sys";

const ROOT = 3;
const ROOTFS = "/run/b/rootfs";
const EACCES = 13;
const at2 = (p: string): Call => ({ op: "openat2", args: [ROOT, p, O.PATH | O.CLOEXEC, 0, RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS] });
const close = (fd: number): Call => ({ op: "close", args: [fd] });
const mount = (src: string | null, target: string, type: string | null, flags: number, data: string | null = null): Call =>
  ({ op: "mount", args: [src, target, type, flags, data] });
const setattr = (target: string, flags: number, attrSet: number, attrClr = 0): Call =>
  ({ op: "mountSetattr", args: [-100, target, flags, { attrSet, attrClr, propagation: 0, usernsFd: 0 }] });
const fdp = (fd: number) => `/proc/self/fd/${fd}`;

const tmp = mkdtempSync(join(tmpdir(), "tsrunc-rootfs-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const BUNDLE = join(tmp, "bundle");
mkdirSync(join(BUNDLE, "data"), { recursive: true });
writeFileSync(join(tmp, "hosts"), "127.0.0.1 localhost\n");

function run(mounts: Mount[], fake = new FakeSys(), over: Partial<MountContext> = {}): FakeSys {
  applyMounts({ sys: fake, rootfs: ROOTFS, rootFd: ROOT, bundle: BUNDLE, cgroupDirs: () => [], inUserNs: false, ...over }, mounts);
  return fake;
}

function thrown(fn: () => void): Error {
  try { fn(); } catch (e) { return e as Error; }
  throw new Error("expected a throw");
}

describe("prepareRoot", () => {
  test("default: / rslave, then the rootfs bound onto itself recursively, then made private", () => {
    const s = new FakeSys();
    prepareRoot(s, ROOTFS, undefined);
    expect(s.calls).toEqual([
      mount(null, "/", null, MS.SLAVE | MS.REC),
      mount(null, mountPointOf(ROOTFS), null, MS.PRIVATE),
      mount(ROOTFS, ROOTFS, null, MS.BIND | MS.REC),
      mount(null, ROOTFS, null, MS.PRIVATE),
    ]);
    expect(MS.SLAVE | MS.REC).toBe(0x84000);
  });

  test("rootfsPropagation replaces rslave; with slave or shared the rootfs stays linked to the host as a slave", () => {
    const s = new FakeSys();
    prepareRoot(s, ROOTFS, "private");
    expect(s.callsOf("mount")[0]).toEqual([null, "/", null, MS.PRIVATE, null]);
    const t = new FakeSys();
    prepareRoot(t, ROOTFS, "rshared");
    expect(t.calls).toEqual([
      mount(null, "/", null, MS.SHARED | MS.REC),
      mount(null, mountPointOf(ROOTFS), null, MS.SLAVE),
      mount(ROOTFS, ROOTFS, null, MS.BIND | MS.REC),
      mount(null, ROOTFS, null, MS.SLAVE),
    ]);
  });

  test("an unknown propagation is refused before any call; a failing call names the step", () => {
    const s = new FakeSys();
    expect(() => prepareRoot(s, ROOTFS, "sideways")).toThrow('linux.rootfsPropagation: unknown value "sideways"');
    expect(s.calls).toEqual([]);
    const t = new FakeSys().failNext("mount", EPERM, 1, (src) => src === ROOTFS);
    expect(() => prepareRoot(t, ROOTFS, undefined)).toThrow(`bind rootfs "${ROOTFS}": mount "${ROOTFS}" on "${ROOTFS}" (flags MS_BIND|MS_REC): EPERM`);
  });

  test("mountPointOf: the longest mount point that is a path prefix", () => {
    const mi = [
      "22 1 8:1 / / rw - ext4 /dev/sda1 rw",
      "23 22 0:5 / /run rw - tmpfs tmpfs rw",
      "24 23 0:6 / /run/containers rw - tmpfs tmpfs rw",
      "25 22 8:2 / /var/lib/my\\040dir rw - ext4 /dev/sda2 rw",
    ].join("\n");
    expect(mountPointOf("/run/containers/b/rootfs", mi)).toBe("/run/containers");
    expect(mountPointOf("/run", mi)).toBe("/run");
    expect(mountPointOf("/runx/rootfs", mi)).toBe("/");
    expect(mountPointOf("/var/lib/my dir/rootfs", mi)).toBe("/var/lib/my dir");
  });
});

describe("applyMounts", () => {
  test("proc, tmpfs with data, bind ro: in config order, each on the fd of its destination", () => {
    const s = run([
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      { destination: "/data", type: "bind", source: "data", options: ["bind", "ro"] },
    ]);
    expect(s.calls).toEqual([
      at2("proc"), mount("proc", fdp(100), "proc", 0), close(100),
      at2("dev"), mount("tmpfs", fdp(101), "tmpfs", MS.NOSUID | MS.STRICTATIME, "mode=755,size=65536k"), close(101),
      // bind source relative to the bundle; ro is applied afterwards with mount_setattr on a fresh fd
      at2("data"), mount(join(BUNDLE, "data"), fdp(102), null, MS.BIND), close(102),
      at2("data"), setattr(fdp(103), 0, MOUNT_ATTR.RDONLY), close(103),
    ]);
    expect(s.openFds.size).toBe(0);
  });

  test("a missing destination is created in the rootfs first", () => {
    const s = run([{ destination: "/proc", type: "proc", source: "proc" }], new FakeSys().absent("proc"));
    expect(s.calls).toEqual([
      at2("proc"), at2("."), at2("proc"), { op: "mkdirat", args: [100, "proc", 0o755] }, at2("proc"), close(100),
      mount("proc", fdp(101), "proc", 0), close(101),
    ]);
  });

  test("a file bind source gets a file mountpoint; rw clears RDONLY; noatime replaces the atime field", () => {
    const s = run([{ destination: "/etc/hosts", source: join(tmp, "hosts"), options: ["rbind", "rw", "noatime"] }], new FakeSys().absent("etc/hosts"));
    expect(s.calls).toEqual([
      at2("etc/hosts"), at2("."), at2("etc"), close(100),
      at2("etc/hosts"), { op: "mknodat", args: [101, "hosts", S_IF.REG | 0o644, 0] }, at2("etc/hosts"), close(101),
      mount(join(tmp, "hosts"), fdp(102), null, MS.BIND | MS.REC), close(102),
      at2("etc/hosts"), setattr(fdp(103), 0, MOUNT_ATTR.NOATIME, MOUNT_ATTR.RDONLY | MOUNT_ATTR._ATIME), close(103),
    ]);
  });

  test("per-mount flags, then propagation, then recursive attributes, each on a re-opened fd", () => {
    const s = run([{ destination: "/mnt", type: "none", source: BUNDLE, options: ["rbind", "nosuid", "rprivate", "rro"] }]);
    expect(s.calls).toEqual([
      at2("mnt"), mount(BUNDLE, fdp(100), null, MS.BIND | MS.REC), close(100),
      at2("mnt"), setattr(fdp(101), 0, MOUNT_ATTR.NOSUID), close(101),
      at2("mnt"), mount(null, fdp(102), null, MS.PRIVATE | MS.REC), close(102),
      at2("mnt"), setattr(fdp(103), AT_RECURSIVE, MOUNT_ATTR.RDONLY), close(103),
    ]);
  });

  test("a cgroup mount: tmpfs, each container cgroup bound under its name, then the attributes on all of it at once", () => {
    const cgroupDirs = [{ name: "memory", dir: "/sys/fs/cgroup/memory/c1" }, { name: "cpu,cpuacct", dir: "/sys/fs/cgroup/cpu,cpuacct/c1" }];
    const s = run([{ destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] }],
      new FakeSys(), { cgroupDirs: () => cgroupDirs });
    const all = MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV | MOUNT_ATTR.NOEXEC;
    // entries of the fresh tmpfs are made and opened from an fd of it, not resolved from the root
    const sub = (name: string): Call => ({ op: "openat2", args: [101, name, O.PATH | O.CLOEXEC, 0, RESOLVE.NO_SYMLINKS | RESOLVE.BENEATH] });
    const mkdir = (name: string): Call => ({ op: "mkdirat", args: [101, name, 0o755] });
    expect(s.calls).toEqual([
      at2("sys/fs/cgroup"), mount("tmpfs", fdp(100), "tmpfs", MS.NOSUID | MS.NODEV | MS.NOEXEC, "mode=755"), close(100),
      at2("sys/fs/cgroup"),
      mkdir("memory"), sub("memory"), mount("/sys/fs/cgroup/memory/c1", fdp(102), null, MS.BIND), close(102),
      mkdir("cpu,cpuacct"), sub("cpu,cpuacct"), mount("/sys/fs/cgroup/cpu,cpuacct/c1", fdp(103), null, MS.BIND), close(103),
      // the tmpfs and every bind below it: read-only, nosuid, nodev, noexec
      { op: "mountSetattr", args: [101, "", AT_EMPTY_PATH | AT_RECURSIVE, { attrSet: all, attrClr: 0, propagation: 0, usernsFd: 0 }] },
      close(101),
    ]);
  });

  const sysfs: Mount = { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] };

  test("sysfs refused with EPERM in a user namespace: the host's /sys is bound recursively instead", () => {
    const s = run([sysfs], new FakeSys().failNext("mount", EPERM), { inUserNs: true });
    expect(s.calls).toEqual([
      at2("sys"),
      mount("sysfs", fdp(100), "sysfs", MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC), // fails
      mount("/sys", fdp(100), null, MS.BIND | MS.REC),
      close(100),
    ]);
  });

  test("no sysfs fallback outside a user namespace, nor for another errno", () => {
    const e = thrown(() => run([sysfs], new FakeSys().failNext("mount", EPERM)));
    expect(e.message).toBe('mount "sysfs" on "/sys" type sysfs (flags MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC): EPERM (Operation not permitted)');
    const s = new FakeSys().failNext("mount", EACCES);
    expect(() => run([sysfs], s, { inUserNs: true })).toThrow("EACCES");
    expect(s.ops()).toEqual(["openat2", "mount", "close"]);
  });

  test("a failing mount names the source and the destination (not the fd path) and keeps errno", () => {
    const s = new FakeSys().failNext("mount", EPERM);
    const e = thrown(() => run([{ destination: "/proc", type: "proc", source: "proc" }, { destination: "/dev", type: "tmpfs" }], s));
    expect(e).toBeInstanceOf(SysError);
    expect(e.message).toContain('mount "proc" on "/proc"');
    expect(e.message).toContain("EPERM");
    expect(e.message).not.toContain("/proc/self/fd");
    expect((e as SysError).errno).toBe(EPERM);
    expect(s.calls).toEqual([at2("proc"), mount("proc", fdp(100), "proc", 0), close(100)]);
  });

  test("other failures are wrapped with the mount's source and destination", () => {
    const s = new FakeSys().failNext("openat2", EACCES);
    expect(() => run([{ destination: "/proc", type: "proc", source: "proc" }], s)).toThrow('mount "proc" on "/proc": openat2: EACCES (Permission denied)');
    const missing = join(tmp, "no-such-dir");
    expect(() => run([{ destination: "/x", type: "bind", source: missing, options: ["bind"] }]))
      .toThrow(`mount "${missing}" on "/x": bind source "${missing}" does not exist`);
  });

  test("unsupported options are refused before any call", () => {
    const s = new FakeSys();
    expect(() => run([{ destination: "/x", source: BUNDLE, options: ["rbind", "tmpcopyup"] }], s)).toThrow(`mount "${BUNDLE}" on "/x": option tmpcopyup is not supported yet`);
    expect(s.calls).toEqual([]);
  });
});

describe("pivotRoot and moveRoot", () => {
  const DIR = O.DIRECTORY | O.RDONLY | O.CLOEXEC;

  test("pivot_root(\".\", \".\") from the new root, then the old root made rslave and detached", () => {
    const s = new FakeSys();
    pivotRoot(s, ROOTFS);
    expect(s.calls).toEqual([
      { op: "open", args: ["/", DIR, 0] }, // 100: old root
      { op: "open", args: [ROOTFS, DIR, 0] }, // 101: new root
      { op: "fchdir", args: [101] },
      { op: "pivotRoot", args: [".", "."] },
      { op: "fchdir", args: [100] },
      mount(null, ".", null, MS.SLAVE | MS.REC),
      { op: "umount2", args: [".", MNT_DETACH] },
      { op: "chdir", args: ["/"] },
      close(100), close(101),
    ]);
    expect(MNT_DETACH).toBe(2);
  });

  test("a failing pivot_root names the step and still closes both fds", () => {
    const s = new FakeSys().failNext("pivotRoot", 22);
    expect(() => pivotRoot(s, ROOTFS)).toThrow("pivot_root: pivotRoot: EINVAL (Invalid argument)");
    expect(s.ops()).toEqual(["open", "open", "fchdir", "pivotRoot", "close", "close"]);
  });

  test("--no-pivot: chdir, MS_MOVE onto /, chroot(\".\"), chdir(\"/\")", () => {
    const s = new FakeSys();
    moveRoot(s, ROOTFS);
    expect(s.calls).toEqual([
      { op: "chdir", args: [ROOTFS] }, mount(ROOTFS, "/", null, MS.MOVE), { op: "chroot", args: ["."] }, { op: "chdir", args: ["/"] },
    ]);
  });
});

describe("after pivot_root", () => {
  test("setRootPropagation and readonlyRoot", () => {
    const s = new FakeSys();
    setRootPropagation(s, undefined);
    setRootPropagation(s, "rshared");
    readonlyRoot(s);
    expect(s.calls).toEqual([mount(null, "/", null, MS.SHARED | MS.REC), setattr("/", 0, MOUNT_ATTR.RDONLY)]);
  });

;
});
