// /dev inside the container: dev_t encoding, default + config devices, the mknod/chown sequence
// (or a bind mount of the host's node in a user namespace), and the conventional symlinks.
import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { createDevices, createDevSymlinks, DEFAULT_DEVICES, devicesToCreate, deviceTypeBits, makedev } from "../../src/linux/devices";
import type { Device } from "../../src/spec/types";
import { EEXIST, EPERM, MS, O, RESOLVE, S_IF } from "../../src/sys";
import { FakeSys, type Call } from "../fake-sys";

const ROOT = 3;
const at2 = (p: string): Call => ({ op: "openat2", args: [ROOT, p, O.PATH | O.CLOEXEC, 0, RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS] });
const close = (fd: number): Call => ({ op: "close", args: [fd] });
const AT_SYMLINK_NOFOLLOW = 0x100;

/** glibc's gnu_dev_makedev, an independent oracle (64-bit dev_t; the kernel's 32-bit form for major < 4096, minor < 2^20) */
function glibcMakedev(major: number, minor: number): bigint {
  const M = BigInt(major), m = BigInt(minor);
  return ((M & 0xfffn) << 8n) | ((M & ~0xfffn) << 32n) | (m & 0xffn) | ((m & ~0xffn) << 12n);
}

describe("makedev", () => {
  test("known encodings", () => {
    expect(makedev(1, 3)).toBe(0x103);
    expect(makedev(5, 0)).toBe(0x500);
    expect(makedev(5, 2)).toBe(0x502);
    expect(makedev(136, 0)).toBe(0x8800);
    // minors above 255 go to bits 20-31
    expect(makedev(136, 300)).toBe(0x10882c);
    expect(makedev(8, 0x12345)).toBe(0x12300845);
    // the largest 32-bit dev_t stays unsigned
    expect(makedev(0xfff, 0xfffff)).toBe(0xffffffff);
  });

  test("matches glibc's encoding over the kernel's range", () => {
    for (const [ma, mi] of [[0, 0], [1, 9], [4095, 1], [10, 229], [254, 1048575], [243, 65536], [3000, 700000]]) {
      expect(BigInt(makedev(ma, mi))).toBe(glibcMakedev(ma, mi));
    }
  });

  test("matches the host's /dev/null", () => {
    expect(makedev(1, 3)).toBe(statSync("/dev/null").rdev);
  });
});

describe("deviceTypeBits and devicesToCreate", () => {
  test("type letters", () => {
    expect(deviceTypeBits("c")).toBe(S_IF.CHR);
    expect(deviceTypeBits("u")).toBe(0o020000);
    expect(deviceTypeBits("b")).toBe(0o060000);
    expect(deviceTypeBits("p")).toBe(0o010000);
    expect(() => deviceTypeBits("x")).toThrow('device type "x": must be one of c, b, u, p');
  });

  test("without config devices: the six defaults in order", () => {
    expect(devicesToCreate(undefined).map((d) => d.path)).toEqual(["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"]);
    expect(devicesToCreate([])).toEqual(DEFAULT_DEVICES);
  });

  test("a config device with a default's path replaces it in place; new ones follow", () => {
    const nullOverride: Device = { path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o600, uid: 5, gid: 6 };
    const fuse: Device = { path: "/dev/fuse", type: "c", major: 10, minor: 229 };
    const list = devicesToCreate([fuse, nullOverride]);
    expect(list.map((d) => d.path)).toEqual(["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/fuse"]);
    expect(list[0]).toBe(nullOverride);
    expect(list[6]).toBe(fuse);
  });
});

describe("createDevices", () => {
  test("without a user namespace: mknodat with type|mode and dev number, then fchownat, per device; each parent opened once", () => {
    const s = new FakeSys();
    createDevices(s, ROOT, [
      { path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
      { path: "/dev/sda", type: "b", major: 8, minor: 0, fileMode: 0o640, uid: 0, gid: 6 },
      { path: "/dev/pts/300", type: "c", major: 136, minor: 300, uid: 1000, gid: 5 },
    ], false);
    expect(s.calls).toEqual([
      at2("dev"), // 100
      { op: "mknodat", args: [100, "null", 0o020666, 0x103] },
      { op: "fchownat", args: [100, "null", 0, 0, AT_SYMLINK_NOFOLLOW] },
      { op: "mknodat", args: [100, "sda", 0o060640, 0x800] },
      { op: "fchownat", args: [100, "sda", 0, 6, AT_SYMLINK_NOFOLLOW] },
      at2("dev/pts"), // 101
      { op: "mknodat", args: [101, "300", S_IF.CHR | 0o666, 0x10882c] },
      { op: "fchownat", args: [101, "300", 1000, 5, AT_SYMLINK_NOFOLLOW] },
      close(100),
      close(101),
    ]);
    expect(s.openFds.size).toBe(0);
  });

  test("a fifo gets dev 0; the mode keeps only permission bits", () => {
    const s = new FakeSys();
    createDevices(s, ROOT, [{ path: "/dev/fifo", type: "p", major: 9, minor: 9, fileMode: 0o170644 }], false);
    expect(s.callsOf("mknodat")).toEqual([[100, "fifo", S_IF.FIFO | 0o644, 0]]);
  });

  test("a missing /dev is created first", () => {
    const s = new FakeSys().absent("dev");
    createDevices(s, ROOT, [DEFAULT_DEVICES[0]], false);
    expect(s.calls).toEqual([
      at2("dev"), at2("."), at2("dev"), { op: "mkdirat", args: [100, "dev", 0o755] }, at2("dev"), close(100),
      { op: "mknodat", args: [101, "null", 0o020666, 0x103] },
      { op: "fchownat", args: [101, "null", 0, 0, AT_SYMLINK_NOFOLLOW] },
      close(101),
    ]);
  });

  test("EEXIST from mknodat: the existing file is checked against the device (here it cannot be read: an error)", () => {
    const s = new FakeSys().failNext("mknodat", EEXIST);
    expect(() => createDevices(s, ROOT, DEFAULT_DEVICES.slice(0, 2), false)).toThrow('create device "/dev/null"');
    expect(s.calls).toEqual([at2("dev"), { op: "mknodat", args: [100, "null", 0o020666, 0x103] }, close(100)]);
    expect(AT_SYMLINK_NOFOLLOW).toBe(0x100);
  });

  test("another mknodat error names the device and still closes the fd", () => {
    const s = new FakeSys().failNext("mknodat", EPERM);
    expect(() => createDevices(s, ROOT, DEFAULT_DEVICES, false)).toThrow('create device "/dev/null": mknodat: EPERM (Operation not permitted)');
    expect(s.ops()).toEqual(["openat2", "mknodat", "close"]);
  });

  test("in a user namespace: an empty file bind-mounted from the host's node, no mknod or chown", () => {
    const s = new FakeSys().absent("dev/null");
    createDevices(s, ROOT, [DEFAULT_DEVICES[0], DEFAULT_DEVICES[5]], true);
    expect(s.calls).toEqual([
      at2("dev/null"), at2("."), // 100
      at2("dev"), close(100), // 101
      at2("dev/null"), { op: "mknodat", args: [101, "null", S_IF.REG | 0o644, 0] }, at2("dev/null"), close(101), // 102
      { op: "mount", args: ["/dev/null", "/proc/self/fd/102", null, MS.BIND, null] },
      close(102),
      at2("dev/tty"), // 103: already there
      { op: "mount", args: ["/dev/tty", "/proc/self/fd/103", null, MS.BIND, null] },
      close(103),
    ]);
    expect(s.openFds.size).toBe(0);
  });

  test("in a user namespace a failing bind names the device and closes the fd", () => {
    const s = new FakeSys().failNext("mount", EPERM);
    expect(() => createDevices(s, ROOT, DEFAULT_DEVICES, true)).toThrow('create device "/dev/null": mount "/dev/null" on "/proc/self/fd/100"');
    expect(s.ops()).toEqual(["openat2", "mount", "close"]);
  });
});

describe("createDevSymlinks", () => {
  const LINKS = [
    ["/proc/self/fd", "fd"], ["/proc/self/fd/0", "stdin"], ["/proc/self/fd/1", "stdout"],
    ["/proc/self/fd/2", "stderr"], ["pts/ptmx", "ptmx"],
  ];

  test("each link made with symlinkat in /dev, opened once and closed at the end", () => {
    const s = new FakeSys();
    createDevSymlinks(s, ROOT);
    expect(s.calls).toEqual([at2("dev"), ...LINKS.map(([target, name]): Call => ({ op: "symlinkat", args: [target, 100, name] })), close(100)]);
  });

  test("an existing link (EEXIST) is kept; other errors name the link", () => {
    const s = new FakeSys().failNext("symlinkat", EEXIST, 2);
    createDevSymlinks(s, ROOT);
    expect(s.callsOf("symlinkat").length).toBe(5);
    expect(s.openFds.size).toBe(0);
    const t = new FakeSys().failNext("symlinkat", EPERM, 1, (target) => target === "pts/ptmx");
    expect(() => createDevSymlinks(t, ROOT)).toThrow("symlink /dev/ptmx: symlinkat: EPERM");
    expect(t.openFds.size).toBe(0);
  });
});
