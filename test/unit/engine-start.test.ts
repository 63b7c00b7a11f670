// How create and run start the init engine (linux/engine.ts, cli/command.ts): pure decisions.
import { describe, expect, test } from "bun:test";
import { bundleOf, commandOf } from "../../src/cli/command";
import { initCanBePid1, respawnInitEngine, type InitEngine } from "../../src/linux/engine";
import { FakeSys } from "../fake-sys";

describe("the bundle main.ts reads before argv is parsed", () => {
  test("-b, --bundle, --bundle= and -b=, after global flags; the current directory otherwise", () => {
    expect(bundleOf(["--root", "/r", "run", "-b", "/b", "id"])).toBe("/b");
    expect(bundleOf(["create", "--bundle", "/b", "id"])).toBe("/b");
    expect(bundleOf(["--log=/l", "create", "--bundle=/b", "id"])).toBe("/b");
    expect(bundleOf(["run", "-b=/b", "id"])).toBe("/b");
    expect(bundleOf(["run", "id"])).toBe(".");
    expect(commandOf(["--root", "/r", "run", "-b", "/b", "id"])).toBe("run");
  });

  test("a -b of the global flags' values or after -- is not the bundle", () => {
    expect(bundleOf(["--root", "-b", "run", "id"])).toBe(".");
    expect(bundleOf(["run", "--", "-b", "/b"])).toBe(".");
  });
});

describe("when the init engine can be the container's PID 1 itself", () => {
  const base = [{ type: "pid" }, { type: "mount" }, { type: "network" }];
  test("a new pid namespace, and nothing that needs stage 1 to clone it", () => {
    expect(initCanBePid1(base, [])).toBe(true);
    expect(initCanBePid1([{ type: "mount" }], [])).toBe(false); // the host's pid namespace
    expect(initCanBePid1([{ type: "pid", path: "/proc/1/ns/pid" }, { type: "mount" }], [])).toBe(false);
    expect(initCanBePid1([...base, { type: "user" }], [])).toBe(false);
    expect(initCanBePid1([...base, { type: "time" }], [])).toBe(false);
    expect(initCanBePid1([{ type: "pid" }, { type: "mount", path: "/x" }], [])).toBe(false);
    expect(initCanBePid1(base, [{ options: ["rbind", "idmap"] }])).toBe(false);
    expect(initCanBePid1(base, [{ options: ["rbind", "ro"] }])).toBe(true);
  });
});

describe("an init engine started the wrong way for the config is replaced", () => {
  test("killed, reaped, its sockets closed; the new one is spawned into a new pid namespace", () => {
    const s = new FakeSys();
    s.forkPid = 4242;
    const engine: InitEngine = { pid: 100, sock: 5, consoleSock: 6, exe: "read-only bind", pidNs: false, reaped: false };
    respawnInitEngine(s, engine, true);
    expect(s.calls.slice(0, 4)).toEqual([
      { op: "kill", args: [100, 9] }, { op: "waitpid", args: [100, 0] }, { op: "close", args: [5] }, { op: "close", args: [6] },
    ]);
    const spawn = s.callsOf("posixSpawn");
    expect(spawn.length).toBe(1);
    expect(spawn[0][1]).toEqual(["tsrunc", "init"]);
    expect(spawn[0][3]).toEqual({ newPidNs: true });
    expect(engine).toMatchObject({ pid: 4242, pidNs: true, reaped: false });
    expect([engine.sock, engine.consoleSock]).not.toContain(5);
  });
});
