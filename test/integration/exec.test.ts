import { test, expect, describe, afterEach } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { tsrunc, ok, newId, bundle, runDetached, procFile, waitFor, cleanup } from "./helpers";

afterEach(cleanup);

const NS = ["pid", "net", "mnt", "ipc", "uts", "user", "cgroup"];

describe("exec", () => {
  test("the exec'd process joins every namespace and the cgroup of the container", () => {
    const id = newId("exec");
    const init = runDetached(id, bundle(["sleep", "30"], (c) => {
      c.linux.namespaces.push({ type: "user" }, { type: "cgroup" });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    }));
    const pidFile = path.join("/tmp", `tsrunc-test-exec-${process.pid}.pid`);
    try {
      ok(["exec", "--detach", "--pid-file", pidFile, id, "sleep", "20"], { outFile: `${pidFile}.out` });
      const pid = Number(fs.readFileSync(pidFile, "utf8"));
      waitFor(() => procFile(pid, "cmdline").startsWith("sleep"), "exec'd sleep");
      for (const n of NS) expect(`${n}:${fs.readlinkSync(`/proc/${pid}/ns/${n}`)}`).toBe(`${n}:${fs.readlinkSync(`/proc/${init}/ns/${n}`)}`);
      expect(procFile(pid, "cgroup")).toBe(procFile(init, "cgroup"));
      expect(procFile(pid, "status")).toMatch(/\nUid:\s+100000\s/);
    } finally {
      fs.rmSync(pidFile, { force: true });
      fs.rmSync(`${pidFile}.out`, { force: true });
    }
  });

  test("exit codes propagate; user, env and cwd flags apply", () => {
    const id = newId("execrc");
    runDetached(id, bundle(["sleep", "30"]));
    const r = tsrunc(["exec", id, "sh", "-c", "echo $$; exit 3"]);
    expect(r.code).toBe(3);
    expect(Number(r.stdout.trim())).toBeGreaterThan(1); // a new process of the container's pid namespace
    const u = ok(["exec", "-u", "1000:1001", "-g", "7", "-e", "FOO=bar", "--cwd", "/tmp", id, "sh", "-c", "id -u; id -g; id -G; echo $FOO; pwd"]);
    expect(u.stdout).toBe("1000\n1001\n1001 7\nbar\n/tmp\n");
    const missing = tsrunc(["exec", id, "no-such-program"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("executable file not found");
  });

  test("--process takes a runtime-spec process JSON", () => {
    const id = newId("execp");
    const b = bundle(["sleep", "30"]);
    runDetached(id, b);
    const pj = path.join(b, "process.json");
    fs.writeFileSync(pj, JSON.stringify({ args: ["sh", "-c", "echo $X; id -u"], env: ["X=from-json", "PATH=/bin"], cwd: "/", user: { uid: 42, gid: 42 } }));
    expect(ok(["exec", "--process", pj, id]).stdout).toBe("from-json\n42\n");
  });

  test("exec into a stopped container fails with a clear error", () => {
    const id = newId("execstop");
    runDetached(id, bundle(["true"]));
    waitFor(() => JSON.parse(ok(["state", id]).stdout).status === "stopped", "stopped");
    const r = tsrunc(["exec", id, "true"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot exec in a stopped container");
  });
});
