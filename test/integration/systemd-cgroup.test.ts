// --systemd-cgroup against a real systemd: this host has none running, so the test starts
// systemd 252 as PID 1 of a private pid+mount namespace, inside a cgroup of its own (everything
// it makes lands below that), with a unit directory holding one empty target so it starts
// nothing else. The driver then talks to it over its private D-Bus socket.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { driverFor, hostHierarchies, parseProcCgroup, removeCgroups, type CgroupDir } from "../../src/linux/cgroups";
import { parseSystemdPath, predictSystemdDirs, stopSystemdScope } from "../../src/linux/cgroups/systemd";
import { realSys } from "../../src/sys";
import { waitFor, bundle, TSRUNC } from "./helpers";

const SYSTEMD = "/lib/systemd/systemd";
const TAG = `tsrunc-systemd-test-${process.pid}`;
const WORK = path.join("/tmp", TAG);
const hier = hostHierarchies();
const REPO = path.resolve(import.meta.dir, "../..");

let unsharePid = 0, systemdPid = 0;
const sleepers: number[] = [];

const children = (pid: number): number[] => {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).flatMap((t) => fs.readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
};
const alive = (pid: number) => fs.existsSync(`/proc/${pid}`) && !/State:\s+Z/.test(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
const address = () => `unix:path=/proc/${systemdPid}/root/run/systemd/private`;

/** runs the driver in systemd's pid namespace (see systemd-cgroup-client.ts) */
function client(args: Record<string, unknown>): { ok?: any; error?: string } {
  const p = Bun.spawnSync(["nsenter", "-t", String(systemdPid), "-p", "--", process.execPath, path.join(import.meta.dir, "systemd-cgroup-client.ts"), JSON.stringify({ address: address(), ...args })], { cwd: REPO, stderr: "pipe" });
  const out = p.stdout.toString().trim();
  if (!out) throw new Error(`client exited ${p.exitCode}: ${p.stderr.toString()}`);
  return JSON.parse(out);
}

/** `sleep` in systemd's pid namespace: [pid as systemd sees it, host pid] */
function sleeper(): [number, number] {
  const p = Bun.spawn(["nsenter", "-t", String(systemdPid), "-p", "--", "sh", "-c", "exec sleep 1000"], { stdout: "ignore", stderr: "ignore" });
  let host = 0;
  waitFor(() => { host = children(p.pid)[0] ?? 0; return host > 0 && /sleep/.test(fs.readFileSync(`/proc/${host}/cmdline`, "utf8")); }, "the sleeper");
  sleepers.push(host, p.pid);
  const nspid = Number(/NSpid:.*\s(\d+)\n/.exec(fs.readFileSync(`/proc/${host}/status`, "utf8"))![1]);
  return [nspid, host];
}

const procCgroup = (pid: number) => new Map(fs.readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n").map((l) => {
  const [, key, p] = /^\d+:([^:]*):(.*)$/.exec(l)!;
  return [key, p] as [string, string];
}));
/** tsrunc in systemd's pid and mount namespaces: its /run (and so /run/systemd/system) is private */
function tsrunc(args: string[]): { code: number; log: string } {
  const out = path.join(WORK, "run.out");
  const p = Bun.spawnSync(["nsenter", "-t", String(systemdPid), "-p", "-m", "--", TSRUNC, "--root", "/run/tsrunc-test", "--systemd-cgroup", ...args], { stdin: "ignore", stdout: Bun.file(out), stderr: Bun.file(out) });
  return { code: p.exitCode, log: fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "" };
}

/** systemctl against the test's systemd (its private socket, in its namespaces) */
function systemctl(...args: string[]): string {
  const p = Bun.spawnSync(["nsenter", "-t", String(systemdPid), "-p", "-m", "--", "systemctl", ...args], { stdin: "ignore", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`systemctl ${args.join(" ")}: exit ${p.exitCode}: ${p.stderr.toString()}`);
  return p.stdout.toString().trim();
}

const dirOf = (dirs: CgroupDir[], key: string) => dirs.find((d) => d.key === key)!.dir;
const read = (f: string) => fs.readFileSync(f, "utf8").trim();

/** every cgroup below the test's own, deepest first; rmdir retries while the kernel lets go */
function removeTree(): string[] {
  const dirs: string[] = [];
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    dirs.push(d);
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  for (const h of hier) walk(path.join(h.mountpoint, TAG));
  return removeCgroups(dirs);
}

// systemd mounts the controllers this host leaves unmounted (hugetlb, net_cls, perf_event); the
// kernel drops those hierarchies once its namespace is gone, and later tests compare against this
const ownCgroupsBefore = fs.readFileSync("/proc/self/cgroup", "utf8");

beforeAll(() => {
  fs.mkdirSync(path.join(WORK, "units"), { recursive: true });
  fs.writeFileSync(path.join(WORK, "units", "tsrunc-test.target"), "[Unit]\nDescription=tsrunc test: nothing to start\n");
  // systemd takes the cgroup it starts in as its root: give it one of its own on every hierarchy
  for (const h of hier) {
    const d = path.join(h.mountpoint, TAG);
    fs.mkdirSync(d, { recursive: true });
    if (h.key.split(",").includes("cpuset")) for (const f of ["cpuset.cpus", "cpuset.mems"]) fs.writeFileSync(path.join(d, f), read(path.join(h.mountpoint, f)));
  }
  const join = hier.map((h) => `echo 0 > ${path.join(h.mountpoint, TAG, "cgroup.procs")}`).join("; ");
  // a tmpfs /run so its sockets are private; the unit directory over /etc/systemd/system so no
  // installed unit is pulled in; container= tells systemd it is not booting a machine
  // /sys/fs/cgroup becomes a private tmpfs holding binds of the host's hierarchies: systemd
  // remounts it read-write and adds mount points for the controllers it wants, and on the host's
  // own tmpfs those would stay behind (podman then takes an empty net_cls dir for a hierarchy)
  const cgroupfs = `mkdir ${WORK}/cg; mount --rbind /sys/fs/cgroup ${WORK}/cg; mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup; ` +
    `for e in $(ls ${WORK}/cg); do mkdir /sys/fs/cgroup/$e; mount --bind ${WORK}/cg/$e /sys/fs/cgroup/$e; done; umount -l ${WORK}/cg`;
  const script = `set -e; ${join}; ${cgroupfs}; mount -t tmpfs -o mode=755 tmpfs /run; mount --bind ${WORK}/units /etc/systemd/system; exec ${SYSTEMD} --unit=tsrunc-test.target --log-target=console`;
  const p = Bun.spawn(["unshare", "--pid", "--fork", "--mount", "--mount-proc", "--uts", "--ipc", "--propagation", "private", "sh", "-c", script], {
    env: { ...process.env, container: "tsrunc" }, stdout: Bun.file(path.join(WORK, "systemd.log")), stderr: Bun.file(path.join(WORK, "systemd.err")),
  });
  unsharePid = p.pid;
  waitFor(() => (systemdPid = children(unsharePid)[0] ?? 0) > 0, "systemd to start");
  waitFor(() => fs.existsSync(`/proc/${systemdPid}/root/run/systemd/private`), `systemd's private socket (see ${WORK}/systemd.err)`, 20_000);
}, 30_000);

afterAll(() => {
  // killing a pid namespace's init kills everything in it
  for (const pid of [systemdPid, unsharePid, ...sleepers]) {
    try { if (pid) process.kill(pid, "SIGKILL"); } catch { /* gone */ }
  }
  waitFor(() => !alive(systemdPid), "systemd to exit");
  waitFor(() => fs.readFileSync("/proc/self/cgroup", "utf8") === ownCgroupsBefore, "the kernel to drop the hierarchies systemd mounted", 10_000);
  const errors = removeTree();
  fs.rmSync(WORK, { recursive: true, force: true });
  if (errors.length) throw new Error(errors.join("; "));
}, 30_000);

describe("--systemd-cgroup with systemd 252 in a private namespace", () => {
  test("a scope holds the process in systemd's cgroups and ours; limits land in the v1 files; stop removes it", () => {
    const [nspid, host] = sleeper();
    const r = client({ op: "start", cgroupsPath: "system.slice:tsrunc:sd1", id: "sd1", pid: nspid, resources: { memory: { limit: 64 << 20 }, pids: { limit: 33 }, cpu: { shares: 512, quota: 25_000, period: 100_000 } } });
    expect(r.error).toBeUndefined();
    const { unit, dirs, created } = r.ok as { unit: string; dirs: CgroupDir[]; created: string[] };
    expect(unit).toBe("tsrunc-sd1.scope");
    const want = `/${TAG}/system.slice/tsrunc-sd1.scope`;
    expect(dirs.map((d) => d.dir).sort()).toEqual(hier.map((h) => path.join(h.mountpoint, want)).sort());
    // what create can know before the first process exists, from systemd's own cgroup
    expect(predictSystemdDirs(hier, parseProcCgroup(read(`/proc/${systemdPid}/cgroup`)), parseSystemdPath("system.slice:tsrunc:sd1", "sd1"))).toEqual(dirs);

    // every hierarchy, systemd's (memory, pids, name=systemd, cgroup2) and the ones it leaves to us (freezer, cpuset)
    const cg = procCgroup(host);
    for (const h of hier) expect(`${h.key}:${cg.get(h.key)}`).toBe(`${h.key}:${want}`);
    expect(created).toContain(path.join(hier.find((h) => h.key === "freezer")!.mountpoint, want));
    expect(created.some((d) => d.includes("/memory/"))).toBe(false);

    // the properties, as systemd wrote them
    expect(read(path.join(dirOf(dirs, "memory"), "memory.limit_in_bytes"))).toBe(String(64 << 20));
    expect(read(path.join(dirOf(dirs, "pids"), "pids.max"))).toBe("33");
    const cpu = dirs.find((d) => d.key.split(",").includes("cpu"))!.dir;
    expect(read(path.join(cpu, "cpu.cfs_quota_us"))).toBe("25000");
    expect(read(path.join(cpu, "cpu.shares"))).toBe("512");

    // the cgroupfs driver works on the directories systemd made: pause and resume
    const drv = driverFor(dirs);
    drv.freeze();
    expect(drv.state()).toBe("frozen");
    drv.thaw();
    expect(drv.pids()).toEqual([host]);

    const s = client({ op: "stop", unit });
    expect(s).toEqual({ ok: [] });
    // stopping a scope kills what is in it and removes systemd's cgroups
    waitFor(() => !alive(host), "the scope's process to be killed");
    waitFor(() => !fs.existsSync(dirOf(dirs, "memory")), "systemd to remove its cgroup");
    expect(removeCgroups(created)).toEqual([]);
    for (const d of created) expect(fs.existsSync(d)).toBe(false);
    // stopping again: the unit is gone, which is not a problem
    expect(client({ op: "stop", unit })).toEqual({ ok: [] });
  }, 30_000);

  test("tsrunc --systemd-cgroup run -d: PID 1 is in the scope with its limits; delete stops the unit", () => {
    const id = `tsrunc-test-sdrun-${process.pid}`;
    const b = bundle(["sleep", "1000"], (c) => {
      c.linux.cgroupsPath = `system.slice:tsrunc:${id}`;
      c.linux.resources = { memory: { limit: 64 << 20 }, pids: { limit: 40 } };
    });
    const scope = `/${TAG}/system.slice/tsrunc-${id}.scope`;
    const memory = path.join(hier.find((h) => h.key === "memory")!.mountpoint, scope);
    try {
      const r = tsrunc(["run", "-d", "-b", b, id]);
      expect(r.log).toBe("");
      expect(r.code).toBe(0);
      const procs = read(path.join(memory, "cgroup.procs")).split("\n").map(Number);
      expect(procs.length).toBe(1);
      expect(fs.readFileSync(`/proc/${procs[0]}/cmdline`, "utf8")).toBe("sleep\u00001000\u0000");
      const cg = procCgroup(procs[0]);
      for (const h of hier) expect(`${h.key}:${cg.get(h.key)}`).toBe(`${h.key}:${scope}`);
      expect(read(path.join(memory, "memory.limit_in_bytes"))).toBe(String(64 << 20));
      expect(read(path.join(hier.find((h) => h.key === "pids")!.mountpoint, scope, "pids.max"))).toBe("40");
      expect(tsrunc(["delete", "--force", id]).code).toBe(0);
      waitFor(() => !fs.existsSync(memory), "systemd to remove the scope's cgroup");
      for (const h of hier) expect(fs.existsSync(path.join(h.mountpoint, scope))).toBe(false);
    } finally {
      tsrunc(["delete", "--force", id]);
    }
  }, 30_000);

  test("tsrunc update: systemd is told (MemoryLimit, then device rules and TasksMax), the file changes, and a daemon-reload keeps the new value", () => {
    const id = `tsrunc-test-sdupd-${process.pid}`;
    const b = bundle(["sleep", "1000"], (c) => {
      c.linux.cgroupsPath = `system.slice:tsrunc:${id}`;
      c.linux.resources = { memory: { limit: 64 << 20 } };
    });
    const unit = `tsrunc-${id}.scope`;
    const memory = path.join(hier.find((h) => h.key === "memory")!.mountpoint, `/${TAG}/system.slice/${unit}`, "memory.limit_in_bytes");
    try {
      expect(tsrunc(["run", "-d", "-b", b, id])).toEqual({ code: 0, log: "" });
      expect(systemctl("show", "-p", "MemoryLimit", "--value", unit)).toBe(String(64 << 20));
      expect(tsrunc(["update", "--memory", "96m", id])).toEqual({ code: 0, log: "" });
      expect(read(memory)).toBe(String(96 << 20));
      expect(systemctl("show", "-p", "MemoryLimit", "--value", unit)).toBe(String(96 << 20));
      // systemd writes its own view back on a reload: a value only in the file would be lost
      fs.writeFileSync(memory, String(80 << 20));
      systemctl("daemon-reload");
      expect(read(memory)).toBe(String(96 << 20));
      // device rules: systemd's v1 rewrite denies everything for a moment, so the container is
      // frozen across the call, and thawed after
      const res = path.join(WORK, "update.json");
      fs.writeFileSync(res, JSON.stringify({ devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }], pids: { limit: 21 } }));
      expect(tsrunc(["update", "-r", res, id])).toEqual({ code: 0, log: "" });
      expect(systemctl("show", "-p", "DevicePolicy", "--value", unit)).toBe("strict");
      expect(systemctl("show", "-p", "TasksMax", "--value", unit)).toBe("21");
      expect(read(path.join(path.dirname(memory).replace("/memory/", "/freezer/"), "freezer.state"))).toBe("THAWED");
    } finally {
      tsrunc(["delete", "--force", id]);
    }
  }, 30_000);

  test("org.systemd.property.* annotations reach the unit, after (so over) tsrunc's own properties", () => {
    const [nspid] = sleeper();
    const r = client({ op: "start", cgroupsPath: "system.slice:tsrunc:sd4", id: "sd4", pid: nspid, resources: { pids: { limit: 33 } }, annotations: {
      "org.systemd.property.CollectMode": "'inactive-or-failed'", "org.systemd.property.TimeoutStopSec": "7", "org.systemd.property.TasksMax": "uint64 77",
    } });
    expect(r.error).toBeUndefined();
    expect(systemctl("show", "-p", "CollectMode", "--value", "tsrunc-sd4.scope")).toBe("inactive-or-failed");
    expect(systemctl("show", "-p", "TimeoutStopUSec", "--value", "tsrunc-sd4.scope")).toBe("7s");
    expect(read(path.join(dirOf(r.ok.dirs, "pids"), "pids.max"))).toBe("77");
    expect(client({ op: "stop", unit: "tsrunc-sd4.scope" })).toEqual({ ok: [] });
    expect(removeCgroups(r.ok.created)).toEqual([]);
  }, 30_000);

  test("setting the properties of a unit that is gone names the unit", () => {
    const r = client({ op: "set", unit: "tsrunc-gone.scope", resources: { memory: { limit: 1 << 30 } } });
    expect(r.error).toMatch(/^systemd: set properties of unit "tsrunc-gone.scope": the unit no longer exists \(org.freedesktop.systemd1.NoSuchUnit: /);
  }, 30_000);

  test("a name in use is systemd's UnitExists, named with the step and the unit", () => {
    const [nspid] = sleeper();
    const first = client({ op: "start", cgroupsPath: "system.slice:tsrunc:sd2", id: "sd2", pid: nspid });
    expect(first.error).toBeUndefined();
    const [other] = sleeper();
    const again = client({ op: "start", cgroupsPath: "system.slice:tsrunc:sd2", id: "sd2", pid: other });
    expect(again.error).toMatch(/^systemd: start unit "tsrunc-sd2.scope": org.freedesktop.systemd1.UnitExists: /);
    expect(client({ op: "stop", unit: "tsrunc-sd2.scope" })).toEqual({ ok: [] });
    expect(removeCgroups(first.ok.created)).toEqual([]);
  }, 30_000);

  test("a bad cgroupsPath fails before systemd is asked", () => {
    const r = client({ op: "start", cgroupsPath: "/not/systemd/form", id: "sd3", pid: 1 });
    expect(r.error).toMatch(/^systemd: read linux.cgroupsPath: linux.cgroupsPath "\/not\/systemd\/form": with --systemd-cgroup it must have the form/);
  }, 30_000);

  test("no bus at the address: the error names the address and the connect failure", () => {
    expect(stopSystemdScope(realSys(), "x.scope", { address: "unix:path=/nonexistent/systemd/private" })).toEqual([
      'systemd: connect to D-Bus at unix:path=/nonexistent/systemd/private: connect "/nonexistent/systemd/private": ENOENT (No such file or directory)',
    ]);
  });
});
