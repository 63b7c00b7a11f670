// The driver: mode detection, pause/resume through the v1 freezer (this hybrid host) and v2's
// cgroup.freeze, process listing, and v2 controller enabling at creation.
import { afterEach, describe, expect, test } from "bun:test";
import * as path from "node:path";
import { allPids, cgroupMode, driverFor } from "../../src/linux/cgroups/driver";
import type { CgroupDir } from "../../src/linux/cgroups/hierarchy";
import { enableControllers } from "../../src/linux/cgroups/index";
import { cleanupFakes, fakeDir, readIn, recordingIO, tmpRoot, V1, V2 } from "./cgroups-fakefs";

afterEach(cleanupFakes);

const d = (key: string, version: 1 | 2 = 1): CgroupDir => ({ key, dir: `/sys/fs/cgroup/${key || "unified"}/c1`, version });

describe("cgroupMode", () => {
  test("v1 controllers plus cgroup2 is hybrid (this host); name= hierarchies are not controllers", () => {
    expect(cgroupMode([d("cpu"), d("memory"), d("name=systemd"), d("", 2)])).toBe("hybrid");
    expect(cgroupMode([d("cpu,cpuacct"), d("memory")])).toBe("v1");
    expect(cgroupMode([d("", 2)])).toBe("v2");
    expect(cgroupMode([d("name=systemd"), d("", 2)])).toBe("v2");
  });

  test("driverFor picks the driver", () => {
    expect(driverFor([d("cpu"), d("", 2)]).mode).toBe("hybrid");
    expect(driverFor([d("", 2)]).mode).toBe("v2");
  });
});

function hybridFreezer(hooks?: Parameters<typeof recordingIO>[1]) {
  const root = tmpRoot();
  const dirs: CgroupDir[] = [
    { key: "freezer", dir: fakeDir(V1.freezer, path.join(root, "freezer", "c1")), version: 1 },
    { key: "pids", dir: fakeDir({ ...V1.pids, "cgroup.procs": "10\n11\n" }, path.join(root, "pids", "c1")), version: 1 },
    { key: "", dir: fakeDir({ "cgroup.procs": "10\n11\n", "cgroup.freeze": "0", "cgroup.events": "populated 1\nfrozen 0\n" }, path.join(root, "unified", "c1")), version: 2 },
  ];
  const io = recordingIO(root, hooks);
  return { root, io, drv: driverFor(dirs, { io }) };
}

describe("v1 freezer (the hybrid host uses it, not cgroup.freeze)", () => {
  test("freeze writes FROZEN and reads it back; thaw writes THAWED", () => {
    const h = hybridFreezer();
    h.drv.freeze();
    expect(h.io.writes).toEqual(["freezer/c1/freezer.state=FROZEN"]);
    expect(readIn(path.join(h.root, "freezer", "c1"), "freezer.state")).toBe("FROZEN");
    h.drv.thaw();
    expect(h.io.writes).toEqual(["freezer/c1/freezer.state=FROZEN", "freezer/c1/freezer.state=THAWED"]);
    expect(readIn(path.join(h.root, "unified", "c1"), "cgroup.freeze")).toBe("0");
  });

  test("FREEZING is retried, with a thaw every 50th attempt (runc)", () => {
    let reads = 0;
    const h = hybridFreezer({ read: (f, t) => (f.endsWith("freezer.state") && ++reads < 52 ? "FREEZING\n" : t) });
    h.drv.freeze();
    expect(h.io.writes.length).toBe(53); // 52 FROZEN writes and one THAWED at attempt 50
    expect(h.io.writes[49]).toBe("freezer/c1/freezer.state=THAWED");
    expect(h.io.writes.at(-1)).toBe("freezer/c1/freezer.state=FROZEN");
  });

  test("stuck in FREEZING: an error, and the cgroup is left THAWED", () => {
    const h = hybridFreezer({ read: (f, t) => (f.endsWith("freezer.state") ? "FREEZING\n" : t) });
    expect(() => h.drv.freeze()).toThrow(/still FREEZING after 1000 attempts/);
    expect(h.io.writes.at(-1)).toBe("freezer/c1/freezer.state=THAWED");
  });

  test("state: FROZEN counts when this cgroup was frozen itself (self_freezing), not an ancestor", () => {
    const h = hybridFreezer();
    expect(h.drv.state()).toBe("thawed");
    const frozenByParent = hybridFreezer({ read: (f, t) => (f.endsWith("freezer.state") ? "FROZEN\n" : t) });
    expect(frozenByParent.drv.state()).toBe("thawed");
    const frozen = hybridFreezer({ read: (f, t) => (f.endsWith("freezer.state") ? "FROZEN\n" : f.endsWith("self_freezing") ? "1\n" : t) });
    expect(frozen.drv.state()).toBe("frozen");
  });

  test("no freezer hierarchy: pause fails clearly, state is thawed", () => {
    const drv = driverFor([{ key: "memory", dir: fakeDir(V1.memory), version: 1 }]);
    expect(() => drv.freeze()).toThrow("pause/resume: the freezer controller is not mounted as a cgroup v1 hierarchy on this host");
    expect(drv.state()).toBe("thawed");
  });
});

describe("v2 freezer", () => {
  function v2(hooks?: Parameters<typeof recordingIO>[1]) {
    const dir = fakeDir(V2);
    const io = recordingIO(dir, hooks);
    return { dir, io, drv: driverFor([{ key: "", dir, version: 2 }], { io }) };
  }
  // the kernel reports "frozen 1" in cgroup.events once cgroup.freeze is 1 and tasks stopped
  const kernel = (dir: string) => (f: string, t: string) => (f === "cgroup.events" ? `populated 1\nfrozen ${readIn(dir, "cgroup.freeze").trim()}\n` : t);

  test("freeze waits for cgroup.events frozen 1; thaw writes 0; state follows", () => {
    let dir = "";
    const h = v2({ read: (f, t) => kernel(dir)(f, t) });
    dir = h.dir;
    expect(h.drv.state()).toBe("thawed");
    h.drv.freeze();
    expect(h.drv.state()).toBe("frozen");
    h.drv.thaw();
    expect(h.drv.state()).toBe("thawed");
    expect(h.io.writes).toEqual(["cgroup.freeze=1", "cgroup.freeze=0"]);
  });

  test("never frozen: a timeout error", () => {
    const h = v2();
    expect(() => h.drv.freeze()).toThrow('did not report "frozen 1" within 10s');
  });

  test("no cgroup.freeze (Linux < 5.2)", () => {
    const dir = fakeDir({ "cgroup.procs": "" });
    expect(() => driverFor([{ key: "", dir, version: 2 }]).freeze()).toThrow(/cgroup.freeze is missing/);
  });
});

describe("pids", () => {
  test("every process of the cgroup and its sub-cgroups (runc's GetAllPids)", () => {
    const dir = fakeDir({ "cgroup.procs": "100\n101\n", "sub/cgroup.procs": "200\n", "sub/deeper/cgroup.procs": "300\n", "memory.max": "max" });
    expect(allPids(dir).sort()).toEqual([100, 101, 200, 300]);
    expect(driverFor([{ key: "", dir, version: 2 }]).pids().sort()).toEqual([100, 101, 200, 300]);
    expect(hybridFreezer().drv.pids()).toEqual([10, 11]);
  });
});

describe("oomKillCount", () => {
  test("v1 memory.oom_control and v2 memory.events", () => {
    const v1 = driverFor([{ key: "memory", dir: fakeDir({ ...V1.memory, "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n" }), version: 1 }]);
    expect(v1.oomKillCount()).toBe(2);
    const v2 = driverFor([{ key: "", dir: fakeDir({ ...V2, "memory.events": "low 0\nhigh 0\nmax 9\noom 3\noom_kill 3\noom_group_kill 0\n" }), version: 2 }]);
    expect(v2.oomKillCount()).toBe(3);
    expect(driverFor([{ key: "", dir: "/nonexistent", version: 2 }]).oomKillCount()).toBe(0);
  });
});

describe("enableControllers (v2 creation)", () => {
  test("each ancestor gets +controller for what it offers and has not enabled yet", () => {
    const root = tmpRoot();
    fakeDir({ "cgroup.controllers": "cpu memory pids", "cgroup.subtree_control": "memory" }, root);
    fakeDir({ "cgroup.controllers": "memory", "cgroup.subtree_control": "" }, path.join(root, "pod"));
    const io = recordingIO(root);
    enableControllers(path.join(root, "pod", "c1"), io);
    expect(io.writes).toEqual(["cgroup.subtree_control=+cpu", "cgroup.subtree_control=+pids", "pod/cgroup.subtree_control=+memory"]);
  });
});
