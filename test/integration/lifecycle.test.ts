import { test, expect, describe, afterEach } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { tsrunc, ok, newId, bundle, state, runDetached, waitFor, ROOT, TSRUNC, cleanup } from "./helpers";

afterEach(cleanup);

describe("lifecycle", () => {
  test("create → created → start → running → kill → stopped → delete", () => {
    const id = newId("life");
    const b = bundle(["sleep", "30"]);
    const pidFile = path.join(b, "pid");
    ok(["create", "-b", b, "--pid-file", pidFile, id], { outFile: path.join(b, "out") });
    const s = state(id);
    expect(s).toMatchObject({ ociVersion: "1.3.0", id, status: "created", bundle: b, rootfs: path.join(b, "..", "..", "..") === "" ? "" : s.rootfs });
    expect(s.pid).toBeGreaterThan(1);
    expect(Number(fs.readFileSync(pidFile, "utf8"))).toBe(s.pid);
    expect(Date.parse(s.created)).not.toBeNaN();
    expect(fs.existsSync(`/proc/${s.pid}`)).toBe(true);
    // the init waits on exec.fifo: not yet the container's program
    expect(fs.readFileSync(`/proc/${s.pid}/cmdline`, "utf8")).not.toContain("sleep");

    ok(["start", id]);
    expect(state(id).status).toBe("running");
    waitFor(() => fs.readFileSync(`/proc/${s.pid}/cmdline`, "utf8").startsWith("sleep"), "sleep to run");

    const again = tsrunc(["start", id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("cannot start an already running container");

    const busy = tsrunc(["delete", id]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("not stopped");

    ok(["kill", id, "KILL"]);
    waitFor(() => state(id).status === "stopped", "stopped");
    expect(state(id).pid).toBe(0);
    const dead = tsrunc(["kill", id]);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toContain("not running");

    ok(["delete", id]);
    expect(fs.existsSync(path.join(ROOT, id))).toBe(false);
    const gone = tsrunc(["state", id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("does not exist");
    // the lock's open tells start, kill and delete (lifecycle.ts withContainer); --force succeeds
    for (const args of [["start", id], ["kill", id], ["delete", id], ["delete", "../x"]]) {
      const r = tsrunc(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("container does not exist");
    }
    expect(tsrunc(["delete", "--force", "../x"]).code).toBe(0);
  });

  test("start of a created container whose init was killed says it has stopped (exec.fifo still there)", () => {
    const id = newId("stopped");
    const b = bundle(["true"]);
    ok(["create", "-b", b, id], { outFile: path.join(b, "out") });
    ok(["kill", id, "KILL"]);
    waitFor(() => state(id).status === "stopped", "stopped");
    expect(fs.existsSync(path.join(ROOT, id, "exec.fifo"))).toBe(true);
    const r = tsrunc(["start", id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot start a container that has stopped");
    ok(["delete", id]);
  });

  test("create refuses an id that exists", () => {
    const id = newId("dup");
    const b = bundle(["sleep", "30"]);
    ok(["create", "-b", b, id], { outFile: path.join(b, "out") });
    const r = tsrunc(["create", "-b", b, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`container with id exists: ${id}`);
    expect(state(id).status).toBe("created");
  });

  test("run exits with the container's status, 128+signal when killed", async () => {
    const b = bundle(["sh", "-c", "echo pid=$$; exit 7"]);
    const r = tsrunc(["run", "-b", b, newId("exit")]);
    expect(r.stdout).toBe("pid=1\n");
    expect(r.code).toBe(7);
    // PID 1 cannot be killed from inside its namespace: kill it from the host
    const id = newId("sig");
    const p = Bun.spawn([TSRUNC, "--root", ROOT, "run", "-b", bundle(["sleep", "30"]), id], { stdio: ["ignore", "ignore", "ignore"] });
    waitFor(() => tsrunc(["state", id]).stdout.includes('"running"'), "running");
    ok(["kill", id, "KILL"]);
    expect(await p.exited).toBe(137);
  });

  test("run forwards SIGTERM to the container", async () => {
    const id = newId("fwd");
    const p = Bun.spawn([TSRUNC, "--root", ROOT, "run", "-b", bundle(["sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.1; done"]), id], { stdio: ["ignore", "ignore", "ignore"] });
    waitFor(() => tsrunc(["state", id]).stdout.includes('"running"'), "running");
    Bun.sleepSync(200); // let sh install its trap
    p.kill("SIGTERM");
    expect(await p.exited).toBe(42);
  });

  test("run removes the container after it exits; --detach leaves it running", () => {
    const id = newId("rm");
    ok(["run", "-b", bundle(["true"]), id]);
    expect(fs.existsSync(path.join(ROOT, id))).toBe(false);
    const d = newId("detach");
    const pid = runDetached(d, bundle(["sleep", "30"]));
    expect(state(d).status).toBe("running");
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8")).toBe("sleep\x0030\x00");
  });

  test("kill takes names and numbers; delete --force stops a running container", () => {
    const id = newId("sigs");
    runDetached(id, bundle(["sleep", "30"]));
    ok(["kill", id, "0"]); // signal 0 only checks the process exists
    expect(state(id).status).toBe("running");
    expect(tsrunc(["kill", id, "NOPE"]).stderr).toContain("unknown signal");
    ok(["kill", id, "SIGTERM"]); // PID 1 ignores SIGTERM without a handler
    ok(["delete", "--force", id]);
    expect(fs.existsSync(path.join(ROOT, id))).toBe(false);
    expect(tsrunc(["delete", "--force", id]).code).toBe(0);
    expect(tsrunc(["delete", id]).code).toBe(1);
  });

  test("kill --all signals every process of the container", () => {
    const id = newId("all");
    const pid = runDetached(id, bundle(["sh", "-c", "sleep 30 & sleep 31 & wait"]));
    waitFor(() => fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ").length === 2, "two children");
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ").map(Number);
    ok(["kill", "--all", id, "KILL"]);
    waitFor(() => kids.every((k) => !fs.existsSync(`/proc/${k}/cmdline`) || fs.readFileSync(`/proc/${k}/cmdline`, "utf8") === ""), "children killed");
    waitFor(() => state(id).status === "stopped", "stopped");
  });

  test("delete --force kills every process: the kernel's in a pid namespace of its own, ours in a shared one", () => {
    const gone = (p: number) => !fs.existsSync(`/proc/${p}/cmdline`) || fs.readFileSync(`/proc/${p}/cmdline`, "utf8") === "";
    for (const shared of [false, true]) {
      const id = newId(shared ? "delshared" : "delpidns");
      const pid = runDetached(id, bundle(["sh", "-c", "sleep 30 & sleep 31 & wait"], (c) => {
        if (shared) c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== "pid");
      }));
      waitFor(() => fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ").length === 2, "two children");
      const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ").map(Number);
      ok(["delete", "--force", id]);
      // delete returns once the init has exited, and its cgroups are gone, so no process is left
      expect([pid, ...kids].filter((p) => !gone(p))).toEqual([]);
      expect(fs.existsSync(path.join(ROOT, id))).toBe(false);
    }
  });

  test("the waiting init gives back its code and read-only data pages until start, and starts fine after", () => {
    const id = newId("codepages");
    ok(["create", "-b", bundle(["sh", "-c", "echo started"]), id], { outFile: "/dev/null" });
    const pid = state(id).pid as number;
    // resident pages of the executable's and libraries' mappings after MADV_DONTNEED: r-xp (~3-4
    // MiB fault back in before the wait, fault-around included; ~13 MiB without it) and the r--p
    // ones at file offset 0 (~0.7 MiB back; the executable's alone held 4.3 MiB without it)
    const residentKb = (perms: string, offset?: string) => {
      let kb = 0, counted = false;
      for (const line of fs.readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
        const m = /^[0-9a-f]+-[0-9a-f]+ (\S+) (\S+) \S+ \S+\s*(.*)$/.exec(line);
        if (m) counted = m[1] === perms && (offset === undefined || m[2] === offset) && m[3].includes("/");
        else if (counted && line.startsWith("Rss:")) kb += Number(line.split(/\s+/)[1]);
      }
      return kb;
    };
    // the init does it once it has said "ready", as create returns
    waitFor(() => residentKb("r-xp") < 6 * 1024 && residentKb("r--p", "00000000") < 2 * 1024, "the code and read-only data pages given back", 2000);
    ok(["start", id]);
    waitFor(() => state(id).status === "stopped", "stopped");
  });

  test("list shows containers as a table, json and ids", () => {
    const id = newId("list");
    runDetached(id, bundle(["sleep", "30"]));
    const table = ok(["list"]).stdout.split("\n");
    expect(table[0]).toMatch(/^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
    expect(table.some((l) => l.startsWith(id) && l.includes("running"))).toBe(true);
    const json = JSON.parse(ok(["list", "--format", "json"]).stdout);
    expect(json.find((c: any) => c.id === id).status).toBe("running");
    expect(ok(["list", "-q"]).stdout.split("\n")).toContain(id);
    expect(ok(["list"], { root: "/run/tsrunc-test-empty" }).stdout.split("\n").length).toBe(2);
    expect(ok(["list", "-f", "json"], { root: "/run/tsrunc-test-empty" }).stdout).toBe("null\n");
  });

  test("kill with SIGTERM stops a created container, as with runc (podman stop before start)", () => {
    const id = newId("termcreated");
    ok(["create", "-b", bundle(["sleep", "30"]), id], { outFile: "/dev/null" });
    expect(state(id).status).toBe("created");
    // named for ps like runc's "runc:[2:INIT]" (it was exec'd as /proc/self/fd/N)
    expect(fs.readFileSync(`/proc/${state(id).pid}/comm`, "utf8")).toBe("tsrunc:[init]\n");
    ok(["kill", id, "TERM"]);
    waitFor(() => state(id).status === "stopped", "the created container to stop on SIGTERM");
  });

  test("a caller's BUN_JSC_useJIT=0 does not break the runtime (bun:ffi needs the JIT; koffi stands in)", () => {
    const r = tsrunc(["run", "-b", bundle(["echo", "ok"]), newId("nojit")], { env: { BUN_JSC_useJIT: "0" } });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("ok\n");
  });

  test("--version has the shape go-runc parses", () => {
    const r = ok(["--version"]);
    expect(r.stdout).toMatch(/^tsrunc version \S+\ncommit: \S+\nspec: 1\.3\.0\n$/);
  });

  test("errors go to the --log file as JSON lines", () => {
    const log = `/tmp/tsrunc-test-log-${process.pid}.json`;
    try {
      const r = tsrunc(["--log", log, "--log-format", "json", "state", "nope-not-here"]);
      expect(r.code).toBe(1);
      const last = JSON.parse(fs.readFileSync(log, "utf8").trim().split("\n").pop()!);
      expect(last.level).toBe("error");
      expect(last.msg).toContain("does not exist");
      expect(Date.parse(last.time)).not.toBeNaN();
    } finally {
      fs.rmSync(log, { force: true });
    }
  });
});

describe("ps", () => {
  test("ps --format json lists every pid of the container's cgroup; the table form filters ps(1)", () => {
    const id = newId("ps");
    const pid = runDetached(id, bundle(["sh", "-c", "sleep 30 & sleep 31"]));
    waitFor(() => JSON.parse(ok(["ps", "--format", "json", id]).stdout).length === 2, "two processes");
    const pids: number[] = JSON.parse(ok(["ps", "--format", "json", id]).stdout);
    expect(pids).toContain(pid);
    const table = ok(["ps", id, "-o", "pid,comm"]).stdout.trim().split("\n");
    expect(table[0].trim()).toBe("PID COMMAND");
    expect(table.slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).sort()).toEqual([...pids].sort());
    expect(tsrunc(["ps", "no-such-container"]).code).toBe(1);
  });
});
