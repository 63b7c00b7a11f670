// Path resolution inside the rootfs: openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS) from the
// root fd for every lookup, missing parents created in order, intermediate fds closed.
import { describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { components, ensureInRoot, fdPath, lookupInRoot, openRoot, parentInRoot } from "../../src/linux/fsroot";
import { EEXIST, O, RESOLVE, S_IF } from "../../src/sys";
import { FakeSys, type Call } from "../fake-sys";

const EACCES = 13;

const ROOT = 3;
const PATHFL = O.PATH | O.CLOEXEC;
const IN_ROOT = RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS;
const at2 = (p: string): Call => ({ op: "openat2", args: [ROOT, p, PATHFL, 0, IN_ROOT] });
const close = (fd: number): Call => ({ op: "close", args: [fd] });

describe("fsroot helpers", () => {
  test("fdPath and components", () => {
    expect(fdPath(7)).toBe("/proc/self/fd/7");
    expect(components("//a/./b/c/")).toEqual(["a", "b", "c"]);
    expect(components("/")).toEqual([]);
  });

  test("the resolve flags are RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS and the open flags O_PATH|O_CLOEXEC", () => {
    expect(IN_ROOT).toBe(0x12);
    expect(PATHFL).toBe(0o12000000);
  });

  test("openRoot opens the rootfs O_PATH|O_DIRECTORY|O_CLOEXEC", () => {
    const s = new FakeSys();
    expect(openRoot(s, "/b/rootfs")).toBe(100);
    expect(s.calls).toEqual([{ op: "open", args: ["/b/rootfs", O.PATH | O.DIRECTORY | O.CLOEXEC, 0] }]);
  });
});

describe("lookupInRoot", () => {
  test("an existing path: one openat2 relative to the root fd", () => {
    const s = new FakeSys();
    expect(lookupInRoot(s, ROOT, "/etc//passwd")).toBe(100);
    expect(s.calls).toEqual([at2("etc/passwd")]);
  });

  test("the root itself is looked up as '.'", () => {
    const s = new FakeSys();
    lookupInRoot(s, ROOT, "/");
    expect(s.calls).toEqual([at2(".")]);
  });

  test("ENOENT means -1, other errors propagate", () => {
    const s = new FakeSys().absent("nope");
    expect(lookupInRoot(s, ROOT, "/nope/x")).toBe(-1);
    s.failNext("openat2", EACCES);
    expect(() => lookupInRoot(s, ROOT, "/etc")).toThrow("openat2: EACCES (Permission denied)");
    expect(s.calls).toEqual([at2("nope/x"), at2("etc")]);
  });
});

describe("ensureInRoot", () => {
  test("an existing path returns its fd and creates nothing", () => {
    const s = new FakeSys();
    expect(ensureInRoot(s, ROOT, "/proc", "dir")).toBe(100);
    expect(s.calls).toEqual([at2("proc")]);
  });

  test("creates every missing parent with mkdirat, in order, each under the previous fd", () => {
    const s = new FakeSys().absent("a");
    const fd = ensureInRoot(s, ROOT, "/a/b/c", "dir");
    expect(fd).toBe(103);
    expect(s.calls).toEqual([
      at2("a/b/c"),
      at2("."), // 100
      at2("a"), { op: "mkdirat", args: [100, "a", 0o755] }, at2("a"), close(100), // 101
      at2("a/b"), { op: "mkdirat", args: [101, "b", 0o755] }, at2("a/b"), close(101), // 102
      at2("a/b/c"), { op: "mkdirat", args: [102, "c", 0o755] }, at2("a/b/c"), close(102), // 103
    ]);
    expect([...s.openFds]).toEqual([fd]);
  });

  test("existing parents are walked, only the missing tail is created", () => {
    const s = new FakeSys().absent("var/lib/x");
    const fd = ensureInRoot(s, ROOT, "var/lib/x", "dir", 0o700);
    expect(s.calls).toEqual([
      at2("var/lib/x"),
      at2("."), // 100
      at2("var"), close(100), // 101
      at2("var/lib"), close(101), // 102
      at2("var/lib/x"), { op: "mkdirat", args: [102, "x", 0o700] }, at2("var/lib/x"), close(102), // 103
    ]);
    expect([...s.openFds]).toEqual([fd]);
  });

  test("kind 'file': the last component is an empty regular file made by mknodat, parents are directories", () => {
    const s = new FakeSys().absent("etc");
    const fd = ensureInRoot(s, ROOT, "/etc/hosts", "file");
    expect(s.calls).toEqual([
      at2("etc/hosts"),
      at2("."), // 100
      at2("etc"), { op: "mkdirat", args: [100, "etc", 0o755] }, at2("etc"), close(100), // 101
      at2("etc/hosts"), { op: "mknodat", args: [101, "hosts", S_IF.REG | 0o644, 0] }, at2("etc/hosts"), close(101), // 102
    ]);
    expect(S_IF.REG | 0o644).toBe(0o100644);
    expect([...s.openFds]).toEqual([fd]);
  });

  test("EEXIST from mkdirat that is not a dangling symlink propagates and leaves no fd open", () => {
    const s = new FakeSys().absent("run").failNext("mkdirat", EEXIST);
    expect(() => ensureInRoot(s, ROOT, "/run", "dir")).toThrow("mkdirat: EEXIST");
    expect(s.ops()).toEqual(["openat2", "openat2", "openat2", "mkdirat", "close"]);
    expect(s.openFds.size).toBe(0);
  });

  test("a dangling symlink (lookup ENOENT, mkdirat EEXIST) is followed inside the root and its target created", () => {
    // the parent fd must be real for readlink(/proc/self/fd/N/name): hand the fake's next fd out as one
    const dir = mkdtempSync(join(tmpdir(), "tsrunc-fsroot-"));
    symlinkSync("/target/dir", join(dir, "link"));
    const realFd = openSync(dir, "r");
    try {
      const s = new FakeSys().absent("link", "target").failNext("mkdirat", EEXIST);
      s.nextFd = realFd;
      const r = realFd;
      const fd = ensureInRoot(s, ROOT, "/link/sub", "dir");
      expect(s.calls).toEqual([
        at2("link/sub"),
        at2("."), // r
        at2("link"), { op: "mkdirat", args: [r, "link", 0o755] }, // EEXIST: a symlink to /target/dir
        at2("target/dir/sub"),
        at2("."), // r+1
        at2("target"), { op: "mkdirat", args: [r + 1, "target", 0o755] }, at2("target"), close(r + 1), // r+2
        at2("target/dir"), { op: "mkdirat", args: [r + 2, "dir", 0o755] }, at2("target/dir"), close(r + 2), // r+3
        at2("target/dir/sub"), { op: "mkdirat", args: [r + 3, "sub", 0o755] }, at2("target/dir/sub"), close(r + 3), // r+4
        close(r),
      ]);
      expect(fd).toBe(r + 4);
      expect([...s.openFds]).toEqual([fd]);
    } finally {
      closeSync(realFd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("any other mkdirat error propagates and leaves no fd open", () => {
    const s = new FakeSys().absent("a/b").failNext("mkdirat", EACCES);
    expect(() => ensureInRoot(s, ROOT, "/a/b/c", "dir")).toThrow("mkdirat: EACCES");
    expect(s.calls.slice(-2)).toEqual([{ op: "mkdirat", args: [101, "b", 0o755] }, close(101)]);
    expect(s.openFds.size).toBe(0);
  });

  test("every openat2 resolves in the root without magic links, from the root fd", () => {
    const s = new FakeSys().absent("x", "y/z");
    ensureInRoot(s, ROOT, "/x/1/2", "file");
    ensureInRoot(s, ROOT, "/y/z", "dir");
    lookupInRoot(s, ROOT, "/w");
    const opens = s.callsOf("openat2");
    expect(opens.length).toBeGreaterThan(10);
    for (const a of opens) {
      expect(a[0]).toBe(ROOT);
      expect(a[2]).toBe(PATHFL);
      expect(a[4]).toBe(IN_ROOT);
    }
  });
});

describe("parentInRoot", () => {
  test("returns the parent's fd (created if needed) and the last name", () => {
    const s = new FakeSys().absent("dev");
    const r = parentInRoot(s, ROOT, "/dev/null");
    expect(r).toEqual({ dirFd: 101, name: "null" });
    expect(s.calls).toEqual([at2("dev"), at2("."), at2("dev"), { op: "mkdirat", args: [100, "dev", 0o755] }, at2("dev"), close(100)]);
  });

  test("a top-level name has the root as parent", () => {
    const s = new FakeSys();
    expect(parentInRoot(s, ROOT, "/x")).toEqual({ dirFd: 100, name: "x" });
    expect(s.calls).toEqual([at2(".")]);
  });

  test("the root has no parent", () => {
    expect(() => parentInRoot(new FakeSys(), ROOT, "/")).toThrow("the root itself has no parent");
  });
});
