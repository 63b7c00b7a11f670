import { test, expect, describe, afterEach } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { tsrunc, ok, newId, bundle, rootfsCopy, ROOT, cleanup } from "./helpers";

afterEach(cleanup);

/** a hook that records its kind, the state it got on stdin and its mount and pid namespaces */
const hook = (log: string, kind: string, sh = "/bin/sh") => ({
  path: sh, args: ["sh", "-c", `echo "${kind} $(cat) $(readlink /proc/self/ns/mnt) $(readlink /proc/self/ns/pid)" >> ${log}`], env: ["PATH=/bin:/usr/bin"],
});

describe("hooks", () => {
  test("all six kinds run in order, with the state on stdin, in the right namespace", () => {
    const id = newId("hooks");
    const logDir = fs.mkdtempSync("/tmp/tsrunc-test-hooks-");
    try {
      const hostLog = path.join(logDir, "log");
      const b = bundle(["true"], (c) => {
        c.root = { path: rootfsCopy(), readonly: true }; // /hooklog is made in the rootfs
        c.mounts.push({ destination: "/hooklog", type: "bind", source: logDir, options: ["rbind", "rw"] });
        c.hooks = {
          prestart: [hook(hostLog, "prestart")],
          createRuntime: [hook(hostLog, "createRuntime")],
          createContainer: [hook(hostLog, "createContainer")],
          startContainer: [hook("/hooklog/log", "startContainer")], // resolves inside the container
          poststart: [hook(hostLog, "poststart")],
          poststop: [hook(hostLog, "poststop")],
        };
      });
      ok(["create", "-b", b, id], { outFile: path.join(b, "out") });
      const pid = JSON.parse(ok(["state", id]).stdout).pid;
      ok(["start", id]);
      ok(["delete", "--force", id]);
      const lines = fs.readFileSync(hostLog, "utf8").trim().split("\n").map((l) => {
        const [kind, ...rest] = l.split(" ");
        const pidNs = rest.pop()!;
        const mnt = rest.pop()!;
        return { kind, state: JSON.parse(rest.join(" ")), mnt, pidNs };
      });
      expect(lines.map((l) => l.kind)).toEqual(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]);
      expect(lines.map((l) => l.state.status)).toEqual(["creating", "creating", "creating", "created", "running", "stopped"]);
      for (const l of lines.slice(0, 5)) expect(l.state).toMatchObject({ id, pid, bundle: b, ociVersion: "1.3.0" });
      const hostMnt = fs.readlinkSync("/proc/self/ns/mnt");
      expect(lines.map((l) => l.mnt === hostMnt)).toEqual([true, true, false, false, true, true]);
      // the runtime's hooks run in its pid namespace, though the init was started in the container's
      const hostPidNs = fs.readlinkSync("/proc/self/ns/pid");
      expect(lines.map((l) => l.pidNs === hostPidNs)).toEqual([true, true, false, false, true, true]);
    } finally {
      fs.rmSync(logDir, { recursive: true, force: true });
    }
  });

  test("a failing createRuntime hook fails create and leaves nothing", () => {
    const id = newId("hookfail");
    const r = tsrunc(["create", "-b", bundle(["true"], (c) => {
      c.hooks = { createRuntime: [{ path: "/bin/sh", args: ["sh", "-c", "echo broken >&2; exit 3"] }] };
    }), id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("createRuntime hook #0");
    expect(r.stderr).toContain("exit status 3");
    expect(r.stderr).toContain("broken");
    expect(fs.existsSync(path.join(ROOT, id))).toBe(false);
  });

  test("a hook that outlives its timeout is killed and fails create", () => {
    const id = newId("hooktime");
    const started = Date.now();
    const r = tsrunc(["create", "-b", bundle(["true"], (c) => {
      c.hooks = { createContainer: [{ path: "/bin/sleep", args: ["sleep", "30"], timeout: 1 }] };
    }), id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("timed out after 1 s");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(fs.existsSync(path.join(ROOT, id))).toBe(false);
  });

  test("a failing startContainer hook fails start; a failing poststop is only a warning", () => {
    const id = newId("hookstart");
    const b = bundle(["true"], (c) => {
      c.hooks = { startContainer: [{ path: "/bin/false" }], poststop: [{ path: "/nonexistent-hook" }] };
    });
    ok(["create", "-b", b, id], { outFile: path.join(b, "out") });
    const r = tsrunc(["start", id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("startContainer hook #0");
    const d = tsrunc(["delete", "--force", id]);
    expect(d.code).toBe(0);
    expect(d.stderr).toContain("poststop");
  });
});
