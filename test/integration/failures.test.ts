import { test, expect, describe, afterEach } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { tsrunc, newId, bundle, rootfsCopy, ROOT, TSRUNC, cleanup } from "./helpers";

afterEach(cleanup);

/** every trace a container could leave: state dir, cgroup dirs, processes */
function traces(id: string): string[] {
  const out: string[] = [];
  if (fs.existsSync(path.join(ROOT, id))) out.push("state dir");
  for (const ctrl of fs.readdirSync("/sys/fs/cgroup")) {
    const found = Bun.spawnSync(["find", `/sys/fs/cgroup/${ctrl}`, "-maxdepth", "4", "-type", "d", "-name", id]).stdout.toString().trim();
    if (found) out.push(found);
  }
  for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(id)) out.push(`process ${p}`);
    } catch { /* exited */ }
  }
  return out;
}

function expectFailure(id: string, b: string, ...want: string[]): string {
  const r = tsrunc(["create", "-b", b, id]);
  expect(r.code).toBe(1);
  for (const w of want) expect(r.stderr.replace(/\\"/g, '"')).toContain(w);
  expect(traces(id)).toEqual([]);
  return r.stderr;
}

describe("failed creates leave nothing behind", () => {
  test("missing rootfs", () => {
    expectFailure(newId("norootfs"), bundle(["true"], (c) => { c.root.path = "/nonexistent/rootfs"; }), "/root/path", "does not exist");
  });

  test("a mount that fails in the init", () => {
    const err = expectFailure(newId("badmount"), bundle(["true"], (c) => { c.root.path = rootfsCopy(); c.mounts.push({ destination: "/x", type: "nosuchfs", source: "none" }); }), 'mount "none" on "/x"', "ENODEV");
    expect(err).toContain("create:");
  });

  test("a bind source that does not exist", () => {
    expectFailure(newId("badbind"), bundle(["true"], (c) => { c.root.path = rootfsCopy(); c.mounts.push({ destination: "/x", type: "bind", source: "/nonexistent-src", options: ["bind"] }); }), "/nonexistent-src");
  });

  test("a bind source that does not exist, mounted before the cgroup mount: the init's error, not our EPIPE", () => {
    // containerd sorts mounts by depth, so /x comes first; PID 1 then fails before it waits for
    // its cgroups, and is gone when the parent writes to it
    for (let i = 0; i < 3; i++) {
      expectFailure(newId("badbind-first"), bundle(["true"], (c) => { c.root.path = rootfsCopy(); c.mounts.unshift({ destination: "/x", type: "bind", source: "/nonexistent-src", options: ["bind"] }); }), 'bind source "/nonexistent-src" does not exist');
    }
  });

  test("schema violations are all reported with their pointers", () => {
    const err = expectFailure(newId("schema"), bundle([], (c) => {
      c.process.user.uid = "root";
      c.linux.namespaces.push({ type: "bogus" });
    }), "/process/args", "/process/user/uid", "/linux/namespaces/");
    expect(err).toContain("must be");
  });

  test("malformed JSON", () => {
    const id = newId("json");
    const b = bundle(["true"]);
    fs.writeFileSync(path.join(b, "config.json"), '{"ociVersion": "1.3.0",, }');
    expectFailure(id, b, "config.json", "line 1");
  });

  test("an ociVersion outside what tsrunc supports", () => {
    expectFailure(newId("ver"), bundle(["true"], (c) => { c.ociVersion = "2.0.0"; }), "/ociVersion", "2.0.0");
  });

  test("hostile ids never touch paths outside --root", () => {
    const b = bundle(["true"]);
    for (const id of ["../x", "a/b", "..", ".", "", "x".repeat(2000)]) {
      const r = tsrunc(["create", "-b", b, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("id");
    }
    expect(fs.existsSync("/run/x")).toBe(false);
    expect(fs.existsSync(path.join(ROOT, "a"))).toBe(false);
  });

  test("an unsupported field is refused by name, never ignored", () => {
    expectFailure(newId("rdt"), bundle(["true"], (c) => { c.linux.intelRdt = { closID: "guaranteed" }; }), "/linux/intelRdt", "not supported on this host");
  });
});

test("a create that was killed midway leaves a 'creating' state that delete --force cleans up", async () => {
  const id = newId("killedcreate");
  const b = bundle(["true"], (c) => { c.hooks = { createRuntime: [{ path: "/bin/sleep", args: ["sleep", "30"] }] }; });
  const p = Bun.spawn(["setsid", TSRUNC, "--root", ROOT, "create", "-b", b, id], { stdio: ["ignore", "ignore", "ignore"] });
  const end = Date.now() + 5000;
  while (!fs.existsSync(path.join(ROOT, id, "state.json")) && Date.now() < end) Bun.sleepSync(10);
  Bun.sleepSync(200);
  expect(JSON.parse(tsrunc(["state", id]).stdout).status).toBe("creating");
  process.kill(-p.pid, "SIGKILL"); // the whole session: create, its init and the hook
  await p.exited;
  expect(tsrunc(["delete", "--force", id]).code).toBe(0);
  expect(traces(id)).toEqual([]);
});
