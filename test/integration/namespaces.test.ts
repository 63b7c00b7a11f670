import { test, expect, describe, afterEach } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { tsrunc, ok, newId, bundle, state, runDetached, procFile, ROOT, cleanup } from "./helpers";

afterEach(cleanup);

const ALL = ["pid", "network", "mount", "ipc", "uts", "cgroup", "time", "user"];
const PROC = { pid: "pid", network: "net", mount: "mnt", ipc: "ipc", uts: "uts", user: "user", cgroup: "cgroup", time: "time" } as Record<string, string>;
const ns = (pid: number | "self", name: string) => fs.readlinkSync(`/proc/${pid}/ns/${name}`);
const USERNS = { uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] };

describe("namespaces", () => {
  test("every namespace type is created: the container's differ from the host's", () => {
    const id = newId("ns");
    const pid = runDetached(id, bundle(["sleep", "30"], (c) => {
      c.linux.namespaces = ALL.map((type) => ({ type }));
      Object.assign(c.linux, USERNS);
    }));
    for (const t of ALL) {
      // time: /proc/<pid>/ns/time is the namespace of the process itself (children get the new one)
      const name = t === "time" ? "time_for_children" : PROC[t];
      expect(`${t}:${ns(pid, t === "time" ? "time" : name)}`).not.toBe(`${t}:${ns("self", PROC[t])}`);
    }
    expect(procFile(pid, "uid_map").trim().split(/\s+/)).toEqual(["0", "100000", "65536"]);
    expect(procFile(pid, "gid_map").trim().split(/\s+/)).toEqual(["0", "100000", "65536"]);
    // the container's root is host uid 100000
    expect(procFile(pid, "status")).toMatch(/\nUid:\s+100000\s+100000\s+100000\s+100000\n/);
  });

  test("the container process is PID 1 of its pid namespace", () => {
    const r = tsrunc(["run", "-b", bundle(["sh", "-c", "echo $$; cat /proc/1/cmdline; exit 0"]), newId("pid1")]);
    expect(r.stdout).toBe("1\nsh\0-c\0echo $$; cat /proc/1/cmdline; exit 0\0");
  });

  test("namespaces are joined by path", () => {
    const a = newId("host-a");
    const pidA = runDetached(a, bundle(["sleep", "30"]));
    const b = newId("join-b");
    const pidB = runDetached(b, bundle(["sleep", "30"], (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== "network" && n.type !== "ipc");
      c.linux.namespaces.push({ type: "network", path: `/proc/${pidA}/ns/net` }, { type: "ipc", path: `/proc/${pidA}/ns/ipc` });
    }));
    expect(ns(pidB, "net")).toBe(ns(pidA, "net"));
    expect(ns(pidB, "ipc")).toBe(ns(pidA, "ipc"));
    expect(ns(pidB, "uts")).not.toBe(ns(pidA, "uts"));
    expect(ns(pidA, "net")).not.toBe(ns("self", "net"));
  });

  test("a mount namespace joined by path gets the container's rootfs set up in it, like runc", () => {
    // the holder: a host process in a private copy of the runtime's mount namespace (a container's
    // own mount namespace is pivoted into its rootfs, where the bundle is out of reach)
    const holder = Bun.spawn(["unshare", "-m", "--propagation", "private", "sleep", "30"], { stdout: "ignore", stderr: "ignore" });
    try {
      let holderNs = "";
      const end = Date.now() + 5000;
      while ((holderNs = ns(holder.pid, "mnt")) === ns("self", "mnt") && Date.now() < end) Bun.sleepSync(5);
      const pid = runDetached(newId("join-mnt"), bundle(["sleep", "30"], (c) => {
        c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== "mount");
        c.linux.namespaces.push({ type: "mount", path: `/proc/${holder.pid}/ns/mnt` });
      }));
      expect(ns(pid, "mnt")).toBe(holderNs);
      expect(holderNs).not.toBe(ns("self", "mnt"));
      // the container still sees its own rootfs as /
      expect(fs.readFileSync(`/proc/${pid}/root/bin/busybox`).length).toBeGreaterThan(0);
    } finally {
      holder.kill();
    }
  });

  test("several uid/gid ranges are mapped", () => {
    const maps = [{ containerID: 0, hostID: 200000, size: 1000 }, { containerID: 1000, hostID: 300000, size: 2000 }];
    const pid = runDetached(newId("maps"), bundle(["sleep", "30"], (c) => {
      c.linux.namespaces.push({ type: "user" });
      c.linux.uidMappings = maps;
      c.linux.gidMappings = maps;
      c.process.user = { uid: 1500, gid: 1500 };
    }));
    const lines = (f: string) => procFile(pid, f).trim().split("\n").map((l) => l.trim().split(/\s+/).map(Number));
    expect(lines("uid_map")).toEqual([[0, 200000, 1000], [1000, 300000, 2000]]);
    expect(lines("gid_map")).toEqual([[0, 200000, 1000], [1000, 300000, 2000]]);
    expect(procFile(pid, "status")).toMatch(/\nUid:\s+300500\s+300500\s+300500\s+300500\n/);
  });

  test("time namespace offsets apply inside", () => {
    const r = tsrunc(["run", "-b", bundle(["cat", "/proc/self/timens_offsets"], (c) => {
      c.linux.namespaces.push({ type: "time" });
      c.linux.timeOffsets = { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: 3600, nanosecs: 5 } };
    }), newId("time")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/monotonic\s+86400\s+0/);
    expect(r.stdout).toMatch(/boottime\s+3600\s+5/);
  });

  test("hostname and domainname are set in the new uts namespace", () => {
    const r = tsrunc(["run", "-b", bundle(["sh", "-c", "hostname; cat /proc/sys/kernel/domainname"], (c) => {
      c.hostname = "box-one";
      c.domainname = "example.test";
    }), newId("uts")]);
    expect(r.stdout).toBe("box-one\nexample.test\n");
  });

  test("a new network namespace has loopback up", () => {
    const r = tsrunc(["run", "-b", bundle(["cat", "/sys/class/net/lo/operstate", "/proc/net/dev"]), newId("net")]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("unknown"); // lo reports "unknown" when up, "down" otherwise
    expect(r.stdout).not.toContain("eth0");
  });

  test("sysfs shows the container's network namespace (PID 1 joins it before that mount)", () => {
    // the host has eth0 and ifb*: a sysfs mounted in the host's network namespace would list them
    const r = tsrunc(["run", "-b", bundle(["ls", "/sys/class/net"]), newId("netsys")]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split(/\s+/)).toEqual(["lo"]);
  });

  test("the init side has exactly one thread when it unshares, even after a forced GC in the parent", () => {
    const id = newId("thread");
    const log = path.join("/tmp", `tsrunc-test-thread-${process.pid}.log`);
    try {
      ok(["--debug", "--log", log, "run", "-b", bundle(["true"], (c) => c.linux.namespaces.push({ type: "user" }) && Object.assign(c.linux, USERNS)), id], { env: { TSRUNC_TEST_GC: "1" } });
      expect(fs.readFileSync(log, "utf8")).toContain("init threads before unshare: 1");
    } finally {
      fs.rmSync(log, { force: true });
    }
    expect(fs.existsSync(path.join(ROOT, id))).toBe(false);
  });
});

test("linux.netDevices moves a host interface into the container's network namespace, renamed", () => {
  const host = `tsrt${process.pid % 10000}a`, peer = `tsrt${process.pid % 10000}b`;
  expect(Bun.spawnSync(["ip", "link", "add", host, "type", "veth", "peer", "name", peer]).exitCode).toBe(0);
  try {
    const id = newId("netdev");
    const pid = runDetached(id, bundle(["sleep", "30"], (c) => { c.linux.netDevices = { [host]: { name: "eth7" } }; }));
    expect(fs.existsSync(`/sys/class/net/${host}`)).toBe(false);
    const r = tsrunc(["exec", id, "ls", "/sys/class/net"]);
    expect(r.stdout.split(/\s+/)).toContain("eth7");
    expect(fs.readlinkSync(`/proc/${pid}/ns/net`)).not.toBe(fs.readlinkSync("/proc/self/ns/net"));
    // delete moves it back under its host name while the container's netns still exists
    ok(["delete", "--force", id]);
    expect(fs.existsSync(`/sys/class/net/${host}`)).toBe(true);
  } finally {
    Bun.spawnSync(["ip", "link", "del", peer]); // deleting one end of a veth pair deletes both
  }
});

test("linux.netDevices with an interface the host does not have fails create by name", () => {
  const r = tsrunc(["create", "-b", bundle(["true"], (c) => { c.linux.netDevices = { "no-such-if0": { name: "eth1" } }; }), newId("nonetdev")]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("no-such-if0");
});
