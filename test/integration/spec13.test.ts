import { test, expect, describe, afterEach } from "bun:test";
import { tsrunc, newId, bundle, runDetached, procFile, statusField, cleanup } from "./helpers";

afterEach(cleanup);

describe("runtime-spec 1.3 process and linux fields", () => {
  test("personality LINUX32 makes uname -m report a 32-bit machine", () => {
    const r = tsrunc(["run", "-b", bundle(["uname", "-m"], (c) => { c.linux.personality = { domain: "LINUX32" }; }), newId("pers")]);
    expect(r.stdout.trim()).toMatch(/^i[3-6]86$/);
    const pid = runDetached(newId("pers-host"), bundle(["sleep", "30"], (c) => { c.linux.personality = { domain: "LINUX32" }; }));
    expect(procFile(pid, "personality").trim()).toBe("00000008"); // PER_LINUX32, read from the host
    expect(tsrunc(["run", "-b", bundle(["uname", "-m"]), newId("pers64")]).stdout.trim()).toBe("x86_64");
  });

  test("scheduler, ioPriority and memoryPolicy are applied to PID 1", () => {
    const pid = runDetached(newId("sched"), bundle(["sleep", "30"], (c) => {
      c.process.scheduler = { policy: "SCHED_BATCH", nice: 7 };
      c.process.ioPriority = { class: "IOPRIO_CLASS_BE", priority: 6 };
      c.linux.memoryPolicy = { mode: "MPOL_BIND", nodes: "0" };
    }));
    const stat = procFile(pid, "stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    expect(fields[16]).toBe("7"); // nice
    expect(fields[38]).toBe("3"); // policy: SCHED_BATCH
    expect(Bun.spawnSync(["ionice", "-p", String(pid)]).stdout.toString().trim()).toBe("best-effort: prio 6");
    expect(procFile(pid, "numa_maps").split("\n")[0]).toContain("bind:0");
    expect(statusField(pid, "Mems_allowed_list")).toBeTruthy();
  });

  test("a scheduler policy or ioPriority class that does not exist is refused by name", () => {
    const r = tsrunc(["create", "-b", bundle(["true"], (c) => { c.process.ioPriority = { class: "IOPRIO_CLASS_NOPE", priority: 1 }; }), newId("ioprio")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ioPriority");
  });
});

describe("check", () => {
  test("reports the host, and what of a config cannot run here", () => {
    const host = tsrunc(["check"]);
    expect(host.code).toBe(0);
    expect(host.stdout).toMatch(/^OK\s+cgroups: hybrid/m);
    expect(host.stdout).toMatch(/capability bounding set lacks CAP_SYS_RESOURCE/);
    const b = bundle(["true"], (c) => { c.process.capabilities.bounding.push("CAP_SYS_RESOURCE"); c.linux.intelRdt = { closID: "x" }; });
    const r = tsrunc(["check", "--bundle", b]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/MISSING\s+\/process\/capabilities: CAP_SYS_RESOURCE/);
    expect(r.stdout).toMatch(/MISSING\s+\/linux\/intelRdt/);
  });
});

test("execCPUAffinity: final is the affinity from execve on (exec too)", () => {
  const id = newId("affinity");
  const pid = runDetached(id, bundle(["sleep", "30"], (c) => { c.process.execCPUAffinity = { initial: "0-1", final: "1" }; }));
  expect(statusField(pid, "Cpus_allowed_list")).toBe("1");
  const e = tsrunc(["exec", id, "grep", "Cpus_allowed_list", "/proc/self/status"]);
  expect(e.stdout).toMatch(/Cpus_allowed_list:\s+1\n/);
});
