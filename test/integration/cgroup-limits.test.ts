import { test, expect, describe, afterEach } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { tsrunc, ok, newId, bundle, runDetached, procFile, statusField, waitFor, TSRUNC, ROOT, cleanup } from "./helpers";

afterEach(cleanup);

/** the container's directory of a v1 controller, from its /proc/<pid>/cgroup line */
function v1Dir(pid: number, ctrl: string): string {
  const line = procFile(pid, "cgroup").split("\n").find((l) => l.split(":")[1].split(",").includes(ctrl))!;
  return path.join("/sys/fs/cgroup", ctrl, line.split(":")[2]);
}
const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), "utf8").trim();

describe("cgroup resources (v1 controllers of this hybrid host)", () => {
  test("memory, cpu, cpuset and pids limits are written before the container runs", () => {
    const pid = runDetached(newId("limits"), bundle(["sleep", "30"], (c) => {
      c.linux.resources = {
        ...c.linux.resources,
        memory: { limit: 100 * 1024 * 1024, reservation: 50 * 1024 * 1024, swappiness: 10 },
        cpu: { shares: 512, quota: 50000, period: 100000, cpus: "0", mems: "0" },
        pids: { limit: 42 },
      };
    }));
    expect(read(v1Dir(pid, "memory"), "memory.limit_in_bytes")).toBe(String(100 * 1024 * 1024));
    expect(read(v1Dir(pid, "memory"), "memory.soft_limit_in_bytes")).toBe(String(50 * 1024 * 1024));
    expect(read(v1Dir(pid, "memory"), "memory.swappiness")).toBe("10");
    expect(read(v1Dir(pid, "cpu"), "cpu.shares")).toBe("512");
    expect(read(v1Dir(pid, "cpu"), "cpu.cfs_quota_us")).toBe("50000");
    expect(read(v1Dir(pid, "cpuset"), "cpuset.cpus")).toBe("0");
    expect(read(v1Dir(pid, "pids"), "pids.max")).toBe("42");
    expect(statusField(pid, "Cpus_allowed_list")).toBe("0");
  });

  test("pids.limit is enforced: forks beyond it fail", () => {
    const r = tsrunc(["run", "-b", bundle(["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 5 & done 2>&1; echo done"], (c) => {
      c.linux.resources = { ...c.linux.resources, pids: { limit: 4 } };
    }), newId("pidsmax")]);
    expect(r.stdout + r.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
  });

  test("pause and resume freeze and thaw every process; state says paused", () => {
    const id = newId("pause");
    const pid = runDetached(id, bundle(["sh", "-c", "sleep 30 & sleep 31"]));
    ok(["pause", id]);
    expect(JSON.parse(ok(["state", id]).stdout).status).toBe("paused");
    expect(read(v1Dir(pid, "freezer"), "freezer.state")).toBe("FROZEN");
    waitFor(() => statusField(pid, "State").startsWith("D") || statusField(pid, "State").startsWith("S"), "frozen task");
    expect(tsrunc(["exec", id, "true"]).stderr).toContain("paused");
    ok(["resume", id]);
    expect(JSON.parse(ok(["state", id]).stdout).status).toBe("running");
    expect(read(v1Dir(pid, "freezer"), "freezer.state")).toBe("THAWED");
    expect(tsrunc(["resume", id]).stderr).toContain("not paused");
    ok(["pause", id]);
    ok(["delete", "--force", id]); // a paused container is thawed to be killed
    expect(fs.existsSync(path.join(ROOT, id))).toBe(false);
  });

  test("update: runc's flags, and containerd's JSON on stdin", async () => {
    const id = newId("update");
    const pid = runDetached(id, bundle(["sleep", "30"], (c) => { c.linux.resources = { ...c.linux.resources, memory: { limit: 100 * 1024 * 1024 } }; }));
    ok(["update", "--memory", "200m", "--cpu-share", "256", "--pids-limit", "77", id]);
    expect(read(v1Dir(pid, "memory"), "memory.limit_in_bytes")).toBe(String(200 * 1024 * 1024));
    expect(read(v1Dir(pid, "cpu"), "cpu.shares")).toBe("256");
    expect(read(v1Dir(pid, "pids"), "pids.max")).toBe("77");
    const p = Bun.spawn([TSRUNC, "--root", ROOT, "update", "--resources", "-", id], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    p.stdin.write(JSON.stringify({ memory: { limit: 300000000, reservation: 0, swap: 0, kernel: 0 }, cpu: { shares: 128, quota: 0, period: 0 }, blockIO: { weight: 0 } }));
    p.stdin.end();
    expect(await p.exited).toBe(0);
    expect(Number(read(v1Dir(pid, "memory"), "memory.limit_in_bytes"))).toBe(Math.floor(300000000 / 4096) * 4096);
    expect(read(v1Dir(pid, "cpu"), "cpu.shares")).toBe("128");
  });

  test("events --stats prints one stats object in runc's shape", () => {
    const id = newId("stats");
    runDetached(id, bundle(["sleep", "30"], (c) => { c.linux.resources = { ...c.linux.resources, pids: { limit: 9 } }; }));
    const e = JSON.parse(ok(["events", "--stats", id]).stdout);
    expect(e.type).toBe("stats");
    expect(e.id).toBe(id);
    expect(e.data.pids).toEqual({ current: 1, limit: 9 });
    expect(e.data.memory.usage.usage).toBeGreaterThan(0);
    expect(e.data.cpu.usage.total).toBeGreaterThan(0);
  });

  test("a resource this host cannot apply is refused by name and leaves nothing", () => {
    const id = newId("nohuge");
    const r = tsrunc(["create", "-b", bundle(["true"], (c) => { c.linux.resources = { ...c.linux.resources, unified: { "memory.high": "100M" } }; }), id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unified");
    expect(fs.existsSync(path.join(ROOT, id))).toBe(false);
  });
});

describe("memory pressure and the unified hierarchy", () => {
  test("a 2 MiB memory limit still starts the container (the runtime's own memory is not charged)", () => {
    const r = tsrunc(["run", "-b", bundle(["echo", "ok"], (c) => { c.linux.resources = { ...c.linux.resources, memory: { limit: 2 * 1024 * 1024 } }; }), newId("2mib")]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("ok\n");
  });

  test("a memory limit kills an allocating process and `events` reports the OOM", async () => {
    const id = newId("oom");
    runDetached(id, bundle(["sh", "-c", "sleep 1; x=$(head -c 64000000 /dev/zero | tr '\\0' a); sleep 30"], (c) => {
      c.linux.resources = { ...c.linux.resources, memory: { limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 } };
    }));
    const ev = Bun.spawn([TSRUNC, "--root", ROOT, "events", "--interval", "100ms", id], { stdout: "pipe", stderr: "ignore" });
    const reader = ev.stdout.getReader();
    let seen = "", oom = false;
    const deadline = Date.now() + 15_000;
    while (!oom && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
      oom = seen.split("\n").some((l) => l.startsWith("{") && JSON.parse(l).type === "oom");
    }
    ev.kill();
    await ev.exited;
    expect(oom).toBe(true);
    expect(seen).toContain('"type":"stats"');
  });

  test("cgroup.freeze and cgroup.procs on the real cgroup2 mount, through the v2 driver", async () => {
    const { driverFor } = await import("../../src/linux/cgroups");
    const id = newId("v2freeze");
    const pid = runDetached(id, bundle(["sleep", "30"]));
    const line = procFile(pid, "cgroup").split("\n").find((l) => l.startsWith("0::"))!;
    const dir = path.join("/sys/fs/cgroup/unified", line.slice(3));
    const drv = driverFor([{ key: "", dir, version: 2 }]);
    expect(drv.mode).toBe("v2");
    expect(drv.pids()).toEqual([pid]);
    drv.freeze();
    expect(read(dir, "cgroup.events")).toContain("frozen 1");
    expect(drv.state()).toBe("frozen");
    drv.thaw();
    expect(read(dir, "cgroup.events")).toContain("frozen 0");
    expect(drv.state()).toBe("thawed");
  });
});

test("the cgroup v2 eBPF device filter loads, attaches and denies (on this host's cgroup2 mount)", async () => {
  const { applyDeviceFilter } = await import("../../src/linux/cgroups");
  const { realSys } = await import("../../src/sys");
  const id = newId("ebpf");
  // v1 devices allow everything here, so only the eBPF filter can refuse
  const pid = runDetached(id, bundle(["sleep", "30"], (c) => { c.linux.resources = { devices: [{ allow: true, access: "rwm" }] }; }));
  const dir = path.join("/sys/fs/cgroup/unified", procFile(pid, "cgroup").split("\n").find((l) => l.startsWith("0::"))!.slice(3));
  const before = tsrunc(["exec", "--cap", "CAP_MKNOD", id, "sh", "-c", "mknod /dev/blk b 7 0; head -c1 /dev/blk; exit 0"]);
  expect(before.stderr).not.toContain("Operation not permitted");
  applyDeviceFilter(realSys(), dir, [{ allow: false, access: "rwm" }]);
  const after = tsrunc(["exec", id, "sh", "-c", "head -c1 /dev/blk; echo x > /dev/null && echo null-ok"]);
  expect(after.stderr).toContain("Operation not permitted"); // the block device: denied by the filter
  expect(after.stdout).toContain("null-ok"); // runc's default devices stay allowed
});
