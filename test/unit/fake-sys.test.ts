// The test double itself: one ordered call list, injected failures, fds, the file model.
import { describe, expect, test } from "bun:test";
import { SysError } from "../../src/errors";
import { EEXIST, ENOENT, EPERM } from "../../src/sys";
import { FakeExit, FakeSys } from "../fake-sys";

describe("FakeSys", () => {
  test("records every call in one ordered list with its arguments", () => {
    const s = new FakeSys();
    s.unshare(0x20000);
    expect(s.open("/x", 0, 0)).toBe(100);
    s.mount(null, "/", null, 0x84000, null);
    s.prctl(24, 3);
    s.close(100);
    expect(s.calls).toEqual([
      { op: "unshare", args: [0x20000] },
      { op: "open", args: ["/x", 0, 0] },
      { op: "mount", args: [null, "/", null, 0x84000, null] },
      { op: "prctl", args: [24, 3] },
      { op: "close", args: [100] },
    ]);
    expect(s.ops()).toEqual(["unshare", "open", "mount", "prctl", "close"]);
    expect(s.callsOf("close")).toEqual([[100]]);
  });

  test("fds count up from 100 and are tracked until closed", () => {
    const s = new FakeSys();
    expect([s.open("/a", 0, 0), s.openat2(3, "b", 0, 0, 0), s.socket(1, 1, 0), ...s.socketpair()]).toEqual([100, 101, 102, 103, 104]);
    s.close(101);
    expect([...s.openFds]).toEqual([100, 102, 103, 104]);
  });

  test("failNext fails the next `count` calls of that op only, then calls succeed again", () => {
    const s = new FakeSys().failNext("mount", EPERM, 2);
    s.umount2("/x", 2);
    for (let i = 0; i < 2; i++) {
      const e = (() => { try { s.mount("a", "/b", null, 0, null); } catch (err) { return err; } })();
      expect(e).toBeInstanceOf(SysError);
      expect((e as SysError).errno).toBe(EPERM);
      // the same detail as the real Sys gives a failing mount
      expect((e as SysError).message).toBe('mount "a" on "/b" (flags 0): EPERM (Operation not permitted)');
    }
    s.mount("a", "/b", null, 0, null);
    expect(s.ops()).toEqual(["umount2", "mount", "mount", "mount"]);
  });

  test("failNext with a matcher skips calls it does not match", () => {
    const s = new FakeSys().failNext("prctl", EPERM, 1, (_o, _a2, a3) => a3 === 13);
    s.prctl(47, 2, 5);
    expect(() => s.prctl(47, 2, 13)).toThrow("prctl: EPERM");
    s.prctl(47, 2, 13);
  });

  test("exit and execve record, then throw FakeExit", () => {
    const s = new FakeSys();
    expect(() => s.exit(3)).toThrow(FakeExit);
    expect(() => s.execve("/bin/sh", ["sh"], ["A=1"])).toThrow(FakeExit);
    expect(s.calls).toEqual([
      { op: "exit", args: [3] },
      { op: "execve", args: ["/bin/sh", ["sh"], ["A=1"]] },
    ]);
  });

  test("fork, cloneParent, getpid, capget and waitpid return configured values", () => {
    const s = new FakeSys();
    s.forkPid = 11; s.clonePid = 22; s.pid = 33;
    s.caps = { effective: 1n, permitted: 3n, inheritable: 0n };
    s.waitResults.push({ pid: 22, status: 0x700 });
    expect([s.fork(), s.cloneParent(), s.getpid()]).toEqual([11, 22, 33]);
    expect(s.capget()).toEqual({ effective: 1n, permitted: 3n, inheritable: 0n });
    expect(s.waitpid(-1, 0)).toEqual({ pid: 22, status: 0x700 });
    expect(s.waitpid(5, 1)).toEqual({ pid: 5, status: 0 });
    s.capset({ effective: 0n, permitted: 1n, inheritable: 0n });
    expect(s.capget().permitted).toBe(1n);
    expect(s.umask(0)).toBe(0o022);
    expect(s.umask(0o077)).toBe(0);
  });

  test("arguments are snapshotted: later mutation does not rewrite the record", () => {
    const s = new FakeSys();
    const gids = [1, 2];
    s.setgroups(gids);
    gids.push(3);
    expect(s.calls[0].args).toEqual([[1, 2]]);
  });

  test("absent paths fail openat2 with ENOENT until created through a fake fd", () => {
    const s = new FakeSys().absent("/dev");
    expect(() => s.openat2(3, "dev/null", 0, 0, 0)).toThrow("openat2: ENOENT");
    expect(s.isMissing("dev")).toBe(true);
    const root = s.openat2(3, ".", 0, 0, 0);
    s.mkdirat(root, "dev", 0o755);
    const dev = s.openat2(3, "dev", 0, 0, 0);
    expect(s.isMissing("dev/null")).toBe(true);
    s.mknodat(dev, "null", 0o20666, 0x103);
    expect(s.isMissing("/dev/null")).toBe(false);
    expect(s.isMissing("etc")).toBe(false);
    expect(ENOENT).toBe(2);
  });

  test("an injected EEXIST from mkdirat means the path now exists", () => {
    const s = new FakeSys().absent("a").failNext("mkdirat", EEXIST);
    const root = s.openat2(3, ".", 0, 0, 0);
    expect(() => s.mkdirat(root, "a", 0o755)).toThrow("EEXIST");
    expect(s.isMissing("a")).toBe(false);
  });
});
