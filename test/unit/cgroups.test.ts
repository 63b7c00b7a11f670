// Cgroup placement (pure parts): mountinfo and /proc/self/cgroup parsing, where the container's
// directory goes in each hierarchy, and the v1 devices rules.
import { describe, expect, test } from "bun:test";
import { DEFAULT_ALLOWED, deviceRuleLine, v1DeviceWrites } from "../../src/linux/cgroups/devices";
import { cgroupDirs, parseMountinfo, parseProcCgroup, type Hierarchy } from "../../src/linux/cgroups/hierarchy";

// this host's /proc/self/mountinfo lines that mention cgroup: v1 controllers, name=systemd, cgroup2 at unified
const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
// and its /proc/self/cgroup
const OWN = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/11f36eb4bcfca4b2441faa4bbc13de00
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;
const MEM_OWN = "/process_api/11f36eb4bcfca4b2441faa4bbc13de00";

const v1 = (key: string, mountpoint = `/sys/fs/cgroup/${key}`, root = "/"): Hierarchy => ({ key, mountpoint, root, version: 1 });

describe("parseMountinfo", () => {
  test("a hybrid host: each v1 hierarchy by its controllers, name=systemd, and cgroup2 with key ''", () => {
    expect(parseMountinfo(HYBRID)).toEqual([
      v1("cpu"), v1("cpuacct"), v1("cpuset"), v1("memory"), v1("devices"), v1("freezer"), v1("blkio"), v1("pids"),
      v1("name=systemd", "/sys/fs/cgroup/systemd"),
      { key: "", mountpoint: "/sys/fs/cgroup/unified", root: "/", version: 2 },
    ]);
  });

  test("a cgroup2-only host", () => {
    const text = `25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
34 25 0:29 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;
    expect(parseMountinfo(text)).toEqual([{ key: "", mountpoint: "/sys/fs/cgroup", root: "/", version: 2 }]);
  });

  test("co-mounted controllers are sorted; mount-only super options dropped; optional fields and escapes handled", () => {
    const text = [
      "30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 master:3 - cgroup cgroup rw,cpuacct,cpu",
      "31 25 0:27 / /sys/fs/cgroup/systemd rw shared:11 - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd",
      "32 25 0:28 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset,clone_children,noprefix",
      "33 25 0:29 /docker/abc /my\\040cgroups/memory rw - cgroup cgroup rw,memory",
      "34 25 0:26 / /other/cpu rw - cgroup cgroup rw,cpu,cpuacct", // a second mount of cpu,cpuacct: the first wins
    ].join("\n");
    expect(parseMountinfo(text)).toEqual([
      v1("cpu,cpuacct"), v1("name=systemd", "/sys/fs/cgroup/systemd"), v1("cpuset"),
      v1("memory", "/my cgroups/memory", "/docker/abc"),
    ]);
  });
});

describe("parseProcCgroup", () => {
  test("controller keys (sorted when co-mounted) to paths; '' for cgroup2", () => {
    const m = parseProcCgroup(OWN);
    expect(m.get("memory")).toBe(MEM_OWN);
    expect(m.get("name=systemd")).toBe("/");
    expect(m.get("")).toBe("/");
    expect(m.size).toBe(10);
    expect([...parseProcCgroup("2:cpuacct,cpu:/a/b\n1:name=systemd:/user.slice/x:y\n")]).toEqual([
      ["cpu,cpuacct", "/a/b"], ["name=systemd", "/user.slice/x:y"],
    ]);
  });
});

describe("cgroupDirs", () => {
  const hs = parseMountinfo(HYBRID);
  const own = parseProcCgroup(OWN);
  const dirOf = (dirs: ReturnType<typeof cgroupDirs>, key: string) => dirs.find((d) => d.key === key)?.dir;

  test("no cgroupsPath: the container id under the runtime's own cgroup in each hierarchy", () => {
    for (const p of [undefined, ""]) {
      const dirs = cgroupDirs(hs, own, p, "c1");
      expect(dirs.length).toBe(10);
      expect(dirOf(dirs, "memory")).toBe(`/sys/fs/cgroup/memory${MEM_OWN}/c1`);
      expect(dirOf(dirs, "cpu")).toBe("/sys/fs/cgroup/cpu/c1");
      expect(dirOf(dirs, "name=systemd")).toBe("/sys/fs/cgroup/systemd/c1");
      expect(dirs.find((d) => d.key === "")).toEqual({ key: "", dir: "/sys/fs/cgroup/unified/c1", version: 2 });
    }
  });

  test("an absolute cgroupsPath is taken from each hierarchy's root", () => {
    const dirs = cgroupDirs(hs, own, "/tsrunc/c1", "ignored");
    expect(dirs.map((d) => d.dir)).toEqual([
      "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd", "unified",
    ].map((n) => `/sys/fs/cgroup/${n}/tsrunc/c1`));
    expect(dirs.map((d) => d.version)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
  });

  test("a relative cgroupsPath goes under the runtime's own cgroup", () => {
    const dirs = cgroupDirs(hs, own, "pod/c1", "ignored");
    expect(dirOf(dirs, "memory")).toBe(`/sys/fs/cgroup/memory${MEM_OWN}/pod/c1`);
    expect(dirOf(dirs, "pids")).toBe("/sys/fs/cgroup/pids/pod/c1");
  });

  test("a hierarchy not in /proc/self/cgroup counts as the root", () => {
    expect(cgroupDirs([v1("hugetlb")], new Map(), undefined, "c1")).toEqual([{ key: "hugetlb", dir: "/sys/fs/cgroup/hugetlb/c1", version: 1 }]);
  });

  test("a mount whose root is not '/' (cgroup namespace, container host): the root is stripped", () => {
    const h = [v1("memory", "/sys/fs/cgroup/memory", "/docker/abc"), { key: "", mountpoint: "/sys/fs/cgroup/unified", root: "/docker/abc", version: 2 as const }];
    const mine = new Map([["memory", "/docker/abc"], ["", "/docker/abc/sub"]]);
    expect(cgroupDirs(h, mine, undefined, "c1").map((d) => d.dir)).toEqual(["/sys/fs/cgroup/memory/c1", "/sys/fs/cgroup/unified/sub/c1"]);
  });
});

describe("v1 device rules", () => {
  test("deviceRuleLine: absent or negative numbers are wildcards, type a is 'a', access defaults to rwm", () => {
    expect(deviceRuleLine({ allow: true, type: "c", major: 1, minor: 3, access: "rwm" })).toBe("c 1:3 rwm");
    expect(deviceRuleLine({ allow: true, type: "c", major: 136, access: "rw" })).toBe("c 136:* rw");
    expect(deviceRuleLine({ allow: true, type: "b", minor: 0, access: "m" })).toBe("b *:0 m");
    expect(deviceRuleLine({ allow: true, type: "b", major: 8, minor: -1 })).toBe("b 8:* rwm");
    expect(deviceRuleLine({ allow: false, type: "a", major: 1, minor: 1, access: "r" })).toBe("a");
    expect(deviceRuleLine({ allow: false, access: "rwm" })).toBe("a");
  });

  test("v1DeviceWrites: the config's rules first, in order, then runc's defaults", () => {
    expect(v1DeviceWrites([
      { allow: false, access: "rwm" },
      { allow: true, type: "c", major: 10, minor: 200, access: "rwm" },
      { allow: false, type: "c", major: 5, minor: 1, access: "w" },
    ])).toEqual([
      ["devices.deny", "a"],
      ["devices.allow", "c 10:200 rwm"],
      ["devices.deny", "c 5:1 w"],
      ["devices.allow", "c *:* m"], ["devices.allow", "b *:* m"],
      ["devices.allow", "c 1:3 rwm"], ["devices.allow", "c 1:8 rwm"], ["devices.allow", "c 1:7 rwm"],
      ["devices.allow", "c 5:0 rwm"], ["devices.allow", "c 1:5 rwm"], ["devices.allow", "c 1:9 rwm"],
      ["devices.allow", "c 5:1 rwm"], ["devices.allow", "c 136:* rwm"], ["devices.allow", "c 5:2 rwm"],
    ]);
    expect(v1DeviceWrites(undefined)).toEqual(DEFAULT_ALLOWED.map((r) => ["devices.allow", deviceRuleLine(r)]));
    expect(DEFAULT_ALLOWED.length).toBe(11);
  });
});
