// Namespaces: which ones unshare(2) creates, and how joined ones are opened and entered.
import { describe, expect, test } from "bun:test";
import { hasNamespace, joinNamespaces, newNamespace, NS_FLAG, setHostname, unshareFlags, unshareOthers, unshareUser } from "../../src/linux/namespaces";
import { threadCount } from "../../src/linux/process";
import type { Namespace } from "../../src/spec/types";
import { CLONE, ENOENT, EPERM, O } from "../../src/sys";
import { FakeSys, type Call } from "../fake-sys";

const RD = O.RDONLY | O.CLOEXEC;
const open = (p: string): Call => ({ op: "open", args: [p, RD, 0] });
const setns = (fd: number, t: number): Call => ({ op: "setns", args: [fd, t] });
const close = (fd: number): Call => ({ op: "close", args: [fd] });

describe("namespace sets", () => {
  const nss: Namespace[] = [
    { type: "pid" }, { type: "network", path: "/proc/1/ns/net" }, { type: "user" }, { type: "mount" },
    { type: "ipc" }, { type: "uts", path: "/run/netns/x" }, { type: "cgroup" },
  ];

  test("unshareFlags: the new namespaces other than user; joined ones excluded", () => {
    expect(unshareFlags(nss)).toBe(CLONE.NEWPID | CLONE.NEWNS | CLONE.NEWIPC | CLONE.NEWCGROUP);
    expect(unshareFlags(nss)).toBe(0x2a020000);
    expect(unshareFlags([{ type: "user" }])).toBe(0);
    expect(unshareFlags([{ type: "time" }, { type: "network" }, { type: "uts" }])).toBe(0x80 | 0x40000000 | 0x04000000);
  });

  test("hasNamespace and newNamespace", () => {
    expect(hasNamespace(nss, "network")).toBe(true);
    expect(newNamespace(nss, "network")).toBe(false);
    expect(newNamespace(nss, "pid")).toBe(true);
    expect(hasNamespace(nss, "time")).toBe(false);
    expect(hasNamespace(undefined, "pid")).toBe(false);
  });
});

describe("joinNamespaces", () => {
  test("opens every path first, then setns in join order (not config order), then closes all", () => {
    const s = new FakeSys();
    joinNamespaces(s, [
      { type: "time", path: "/p/time" }, { type: "pid", path: "/p/pid" }, { type: "cgroup", path: "/p/cgroup" },
      { type: "network", path: "/p/net" }, { type: "uts", path: "/p/uts" }, { type: "ipc", path: "/p/ipc" },
      { type: "mount" }, // created, not joined
    ]);
    expect(s.calls).toEqual([
      open("/p/ipc"), open("/p/uts"), open("/p/net"), open("/p/pid"), open("/p/cgroup"), open("/p/time"),
      setns(100, CLONE.NEWIPC), setns(101, CLONE.NEWUTS), setns(102, CLONE.NEWNET),
      setns(103, CLONE.NEWPID), setns(104, CLONE.NEWCGROUP), setns(105, CLONE.NEWTIME),
      close(100), close(101), close(102), close(103), close(104), close(105),
    ]);
  });

  test("user is opened first and mount last", () => {
    const s = new FakeSys();
    // joining user needs a single-threaded caller, which the test runner is not: only the opens happen
    expect(() => joinNamespaces(s, [{ type: "mount", path: "/p/mnt" }, { type: "uts", path: "/p/uts" }, { type: "user", path: "/p/user" }])).toThrow();
    expect(s.callsOf("open").map((a) => a[0])).toEqual(["/p/user", "/p/uts", "/p/mnt"]);
  });

  test("joining a user namespace from a multi-threaded process is refused before setns, naming threads", () => {
    expect(threadCount()).toBeGreaterThan(1);
    const s = new FakeSys();
    expect(() => joinNamespaces(s, [{ type: "user", path: "/proc/9/ns/user" }, { type: "ipc", path: "/proc/9/ns/ipc" }]))
      .toThrow(/^join user namespace "\/proc\/9\/ns\/user": setns: the init process has \d+ threads; the kernel requires exactly one$/);
    expect(s.calls).toEqual([open("/proc/9/ns/user"), open("/proc/9/ns/ipc"), close(100), close(101)]);
  });

  test("a mount namespace join is refused the same way, after the joins before it", () => {
    const s = new FakeSys();
    expect(() => joinNamespaces(s, [{ type: "mount", path: "/p/mnt" }, { type: "pid", path: "/p/pid" }])).toThrow("threads");
    expect(s.calls).toEqual([open("/p/pid"), open("/p/mnt"), setns(100, CLONE.NEWPID), close(100), close(101)]);
  });

  test("a failing setns names the namespace and path; every fd is closed", () => {
    const s = new FakeSys().failNext("setns", EPERM, 1, (_fd, t) => t === CLONE.NEWNET);
    expect(() => joinNamespaces(s, [{ type: "uts", path: "/a" }, { type: "network", path: "/b" }, { type: "pid", path: "/c" }]))
      .toThrow('join network namespace "/b": setns: EPERM (Operation not permitted)');
    expect(s.calls).toEqual([open("/a"), open("/b"), open("/c"), setns(100, CLONE.NEWUTS), setns(101, CLONE.NEWNET), close(100), close(101), close(102)]);
  });

  test("a missing path fails at open, before any setns", () => {
    const s = new FakeSys().failNext("open", ENOENT, 1, (p) => p === "/b");
    expect(() => joinNamespaces(s, [{ type: "uts", path: "/a" }, { type: "network", path: "/b" }])).toThrow('open network namespace "/b": open: ENOENT');
    expect(s.callsOf("setns")).toEqual([]);
  });

  test("NS_FLAG values", () => {
    expect(NS_FLAG).toEqual({
      pid: 0x20000000, network: 0x40000000, mount: 0x20000, ipc: 0x8000000, uts: 0x4000000, user: 0x10000000, cgroup: 0x2000000, time: 0x80,
    });
  });
});

describe("unshare and names", () => {
  test("unshareOthers: one unshare with all flags; nothing for 0", () => {
    const s = new FakeSys();
    unshareOthers(s, 0);
    unshareOthers(s, CLONE.NEWPID | CLONE.NEWIPC | CLONE.NEWUTS);
    expect(s.calls).toEqual([{ op: "unshare", args: [0x2c000000] }]);
  });

  test("unshare of user or mount namespaces needs one thread: refused here without a call", () => {
    const s = new FakeSys();
    expect(() => unshareUser(s)).toThrow(/^create user namespace: unshare\(CLONE_NEWUSER\): the init process has \d+ threads/);
    expect(() => unshareOthers(s, CLONE.NEWNS | CLONE.NEWPID)).toThrow("create namespaces: unshare(CLONE_NEWNS)");
    expect(s.calls).toEqual([]);
  });

  test("setHostname sets what is given, in order", () => {
    const s = new FakeSys();
    setHostname(s, "box", undefined);
    setHostname(s, undefined, undefined);
    setHostname(s, "", "example.org");
    expect(s.calls).toEqual([
      { op: "sethostname", args: ["box"] }, { op: "sethostname", args: [""] }, { op: "setdomainname", args: ["example.org"] },
    ]);
    const t = new FakeSys().failNext("sethostname", EPERM);
    expect(() => setHostname(t, "box", undefined)).toThrow('set hostname "box": sethostname: EPERM');
  });
});
