// Masked paths, read-only paths and /dev/console mount onto verified fds (CVE-2025-31133/52565).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { maskPaths, readonlyPaths, consoleTarget } from "../../src/linux/paths";
import { AT_EMPTY_PATH, AT_RECURSIVE, MOUNT_ATTR, MS, O, S_IF } from "../../src/sys";
import { FakeSys, type Call } from "../fake-sys";

const tmp = mkdtempSync(join(tmpdir(), "tsrunc-paths-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const dir = join(tmp, "dir"), file = join(tmp, "file"), link = join(tmp, "link");
mkdirSync(dir);
writeFileSync(file, "");
symlinkSync("/proc/sys/kernel/core_pattern", link);

const PATH = O.PATH | O.NOFOLLOW | O.CLOEXEC;
const open = (p: string): Call => ({ op: "open", args: [p, PATH, 0] });
const fstat = (fd: number): Call => ({ op: "fstat", args: [fd] });
const close = (fd: number): Call => ({ op: "close", args: [fd] });
const mount = (src: string | null, target: string, type: string | null, flags: number, data: string | null = null): Call =>
  ({ op: "mount", args: [src, target, type, flags, data] });
const fdp = (fd: number) => `/proc/self/fd/${fd}`;

describe("maskPaths", () => {
  test("a directory gets a read-only tmpfs and a file the verified /dev/null, each onto an O_NOFOLLOW fd", () => {
    const s = new FakeSys().failNext("open", 2 /* ENOENT */, 1, (p) => p === join(tmp, "missing"));
    maskPaths(s, [dir, join(tmp, "missing"), file]);
    expect(s.calls).toEqual([
      open(dir), fstat(100), mount("tmpfs", fdp(100), "tmpfs", MS.RDONLY), close(100),
      open(join(tmp, "missing")), // ENOENT: nothing to mask
      open(file), fstat(101), open("/dev/null"), fstat(102), mount(fdp(102), fdp(101), null, MS.BIND), close(101),
      close(102),
    ]);
  });

  test("a symlink at a masked path is refused (the kernel makes none in procfs or sysfs)", () => {
    const s = new FakeSys();
    expect(() => maskPaths(s, [link])).toThrow(`mask ${JSON.stringify(link)}: ${JSON.stringify(link)} is a symlink; refusing to mount over what it points to`);
    expect(s.calls.some((c) => c.op === "mount")).toBe(false);
  });

  test("CVE-2025-31133: a /dev/null that is not the null device (a file, a symlink) is never bound", () => {
    for (const fake of [{ mode: S_IF.REG | 0o666, rdev: 0 }, { mode: S_IF.CHR | 0o666, rdev: 0x501 }]) {
      const s = new FakeSys();
      s.stats.set(101, fake); // the second fd: /dev/null, after the file's
      expect(() => maskPaths(s, [file])).toThrow("/dev/null is not the null device (character device 1:3)");
      expect(s.calls.some((c) => c.op === "mount")).toBe(false);
    }
    const s = new FakeSys();
    s.stats.set(101, { mode: S_IF.LNK | 0o777, rdev: 0 });
    expect(() => maskPaths(s, [file])).toThrow('"/dev/null" is a symlink');
  });
});

describe("readonlyPaths", () => {
  test("a recursive bind of the fd onto itself, then MOUNT_ATTR_RDONLY on the reopened mount; missing skipped", () => {
    const s = new FakeSys().failNext("open", 2 /* ENOENT */, 1, (p) => p === join(tmp, "missing"));
    readonlyPaths(s, [join(tmp, "missing"), dir]);
    expect(s.calls).toEqual([
      open(join(tmp, "missing")),
      open(dir), fstat(100), mount(fdp(100), fdp(100), null, MS.BIND | MS.REC), close(100),
      open(dir), fstat(101),
      { op: "mountSetattr", args: [101, "", AT_RECURSIVE | AT_EMPTY_PATH, { attrSet: MOUNT_ATTR.RDONLY, attrClr: 0, propagation: 0, usernsFd: 0 }] },
      close(101),
    ]);
  });
});

describe("/dev/console", () => {
  test("made with O_EXCL|O_NOFOLLOW when missing, then opened without following a symlink", () => {
    const s = new FakeSys().failNext("open", 2 /* ENOENT */);
    const fd = consoleTarget(s);
    expect(s.calls.map((c) => [c.op, c.args[0], c.args[1]])).toEqual([
      ["open", "/dev/console", PATH],
      ["open", "/dev/console", O.CREAT | O.EXCL | O.NOFOLLOW | O.WRONLY | O.CLOEXEC], ["close", 100, undefined],
      ["open", "/dev/console", PATH], ["fstat", 101, undefined],
    ]);
    expect(fd).toBe(101);
  });

  test("CVE-2025-52565: a symlink or a directory at /dev/console is refused", () => {
    const s = new FakeSys();
    s.stats.set(100, { mode: S_IF.LNK | 0o777, rdev: 0 });
    expect(() => consoleTarget(s)).toThrow('"/dev/console" is a symlink');
    const t = new FakeSys();
    t.stats.set(100, { mode: S_IF.DIR | 0o755, rdev: 0 });
    expect(() => consoleTarget(t)).toThrow("/dev/console is a directory");
  });
});
