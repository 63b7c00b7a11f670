// runtime.md: the state, the lifecycle and the operations (create, start, kill, delete, state).
import * as fs from "node:fs";
import * as path from "node:path";
import { defineCase, Ctx } from "../lib/case";
import { alive, nsLink, cgroupMounts } from "../lib/host";
import { describe } from "../lib/runtime";

/** a host directory bind-mounted read-write at /host in the container */
function hostDir(t: Ctx, c: Record<string, any>): string {
  const d = t.mkdir("host");
  c.mounts.push({ destination: "/host", type: "bind", source: d, options: ["rbind", "rw"] });
  return d;
}

const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "");

defineCase({
  name: "runtime-lifecycle",
  spec: "runtime.md",
  reqs: {
    "runtime.create.status-created": ["create", "upon successful completion of create, the status property is created"],
    "runtime.state.ociVersion": ["state", "state has ociVersion, the spec version the state complies with (SemVer)"],
    "runtime.state.id": ["state", "state has id, the container's ID"],
    "runtime.state.pid-created": ["state", "pid of a created container is the host pid of the container process (in the container's namespaces)"],
    "runtime.state.bundle": ["state", "bundle is the absolute path to the container's bundle directory"],
    "runtime.state.annotations": ["state", "annotations are the annotations of the container's config"],
    "runtime.create.program-not-run": ["lifecycle", "create MUST NOT run the user-specified program"],
    "runtime.start.runs-program": ["start", "start runs the user-specified program"],
    "runtime.start.status-running": ["start", "upon successful completion of start, the status property is running"],
    "runtime.state.pid-running": ["state", "pid of a running container is the host pid of the process running the program"],
    "runtime.kill.signal": ["kill", "kill sends the specified signal to the container process"],
    "runtime.kill.status-stopped": ["kill", "when the container process stops, the status property is stopped"],
    "runtime.kill.stopped-fails": ["kill", "kill of a container that is neither created nor running generates an error and has no effect"],
    "runtime.delete.removes-state": ["delete", "after delete, the container no longer exists (state generates an error)"],
    "runtime.delete.removes-cgroups": ["delete", "deleting a container deletes the resources created by create (its cgroups)"],
  },
  async run(t) {
    let host = "";
    const cg = `/tsrunc-conf-lifecycle-${process.pid}`;
    const b = t.bundle((c) => {
      host = hostDir(t, c);
      c.annotations = { "org.tsrunc.conf.key": "value-1", "org.tsrunc.conf.other": "x" };
      c.linux.cgroupsPath = cg;
      // PID 1 only gets signals it has a handler for: the trap makes USR1 observable
      c.process.args = ["sh", "-c", "echo started > /host/marker; trap 'echo usr1 >> /host/marker; exit 3' USR1; while :; do sleep 0.05; done"];
    });
    const id = t.newId("life");
    const ct = await t.create(id, b);
    const s1 = (await t.rt.state(id)).state!;
    t.eq("runtime.create.status-created", s1.status, "created", "status");
    t.check("runtime.state.ociVersion", typeof s1.ociVersion === "string" && /^\d+\.\d+\.\d+/.test(s1.ociVersion), `ociVersion ${JSON.stringify(s1.ociVersion)}`);
    t.eq("runtime.state.id", s1.id, id, "id");
    await t.verify("runtime.state.pid-created", () => {
      t.check("runtime.state.pid-created", typeof s1.pid === "number" && alive(s1.pid) && nsLink(s1.pid, "uts") !== nsLink("self", "uts"),
        `pid ${s1.pid} is not a live process in the container's uts namespace`);
    });
    t.eq("runtime.state.bundle", s1.bundle, fs.realpathSync(b), "bundle");
    t.eq("runtime.state.annotations", s1.annotations, { "org.tsrunc.conf.key": "value-1", "org.tsrunc.conf.other": "x" }, "annotations");
    await Bun.sleep(300);
    t.check("runtime.create.program-not-run", read(path.join(host, "marker")) === "", "the program ran before start: /host/marker was written");

    await t.start(ct);
    await t.waitFor(() => read(path.join(host, "marker")).includes("started"), "the program to write /host/marker").catch(() => {});
    t.check("runtime.start.runs-program", read(path.join(host, "marker")) === "started\n", `marker: ${JSON.stringify(read(path.join(host, "marker")))}`);
    const s2 = (await t.rt.state(id)).state;
    t.eq("runtime.start.status-running", s2?.status, "running", "status");
    t.check("runtime.state.pid-running", s2?.pid === ct.pid && alive(ct.pid), `state pid ${s2?.pid}, created pid ${ct.pid}`);

    const k = await t.rt.kill(id, "USR1");
    await t.waitFor(() => !alive(ct.pid), "the container process to exit").catch(() => {});
    t.check("runtime.kill.signal", k.code === 0 && read(path.join(host, "marker")).includes("usr1"), `${describe(k)}; marker ${JSON.stringify(read(path.join(host, "marker")))}`);
    const s3 = (await t.rt.state(id)).state;
    t.eq("runtime.kill.status-stopped", s3?.status, "stopped", "status after the process exited");

    const k2 = await t.rt.kill(id, "KILL");
    const s4 = (await t.rt.state(id)).state;
    t.check("runtime.kill.stopped-fails", k2.code !== 0 && s4?.status === "stopped", `kill of a stopped container: exit ${k2.code}, status then ${s4?.status}`);

    const d = await t.rt.delete(id);
    const s5 = await t.rt.state(id);
    t.check("runtime.delete.removes-state", d.code === 0 && s5.exec.code !== 0, `${describe(d)}; state after delete exited ${s5.exec.code}`);
    const left = Object.values(cgroupMounts().v1).map((m) => path.join(m, cg)).filter((p) => fs.existsSync(p));
    t.check("runtime.delete.removes-cgroups", d.code === 0 && left.length === 0, `cgroups left after delete: ${left.join(", ")}`);
  },
});

defineCase({
  name: "runtime-config-immutable",
  spec: "runtime.md",
  reqs: {
    "runtime.create.config-updates-ignored": ["create", "changes made to config.json after create do not affect the container"],
  },
  async run(t) {
    const b = t.bundle((c) => { c.hostname = "before"; c.process.args = ["sh", "-c", "echo $(hostname) original"]; });
    const ct = await t.create(t.newId("immut"), b);
    const f = path.join(b, "config.json");
    const c = JSON.parse(fs.readFileSync(f, "utf8"));
    c.hostname = "after";
    c.process.args = ["sh", "-c", "echo $(hostname) changed"];
    fs.writeFileSync(f, JSON.stringify(c));
    await t.start(ct);
    await t.waitFor(() => t.containerOutput(ct).includes("\n"), "the container's output");
    t.eq("runtime.create.config-updates-ignored", t.containerOutput(ct), "before original\n", "output");
  },
});

defineCase({
  name: "runtime-start-twice",
  spec: "runtime.md",
  reqs: {
    "runtime.start.twice-fails": ["start", "starting an already started container generates an error"],
    "runtime.start.twice-no-effect": ["start", "starting an already started container has no effect on it"],
  },
  async run(t) {
    const ct = await t.started();
    const r = await t.rt.start(ct.id);
    t.check("runtime.start.twice-fails", r.code !== 0, "the second start succeeded");
    const s = (await t.rt.state(ct.id)).state;
    t.check("runtime.start.twice-no-effect", s?.status === "running" && s?.pid === ct.pid && alive(ct.pid), `after the second start: status ${s?.status}, pid ${s?.pid} (was ${ct.pid})`);
  },
});

defineCase({
  name: "runtime-delete-running",
  spec: "runtime.md",
  reqs: {
    "runtime.delete.running-fails": ["delete", "deleting a container that is not stopped generates an error"],
    "runtime.delete.running-no-effect": ["delete", "deleting a container that is not stopped has no effect on it"],
    "runtime.delete.created-fails": ["delete", "deleting a created (not stopped) container generates an error"],
  },
  async run(t) {
    const ct = await t.started();
    const r = await t.rt.delete(ct.id);
    t.check("runtime.delete.running-fails", r.code !== 0, "delete of a running container succeeded");
    const s = (await t.rt.state(ct.id)).state;
    t.check("runtime.delete.running-no-effect", s?.status === "running" && alive(ct.pid), `after delete: status ${s?.status}, process alive ${alive(ct.pid)}`);
    const created = await t.create(t.newId("delc"), t.bundle());
    const r2 = await t.rt.delete(created.id);
    const s2 = (await t.rt.state(created.id)).state;
    t.check("runtime.delete.created-fails", r2.code !== 0 && s2?.status === "created", `delete of a created container exited ${r2.code}; status then ${s2?.status}`);
  },
});

defineCase({
  name: "runtime-duplicate-id",
  spec: "runtime.md",
  reqs: {
    "runtime.create.duplicate-id-fails": ["create", "create with an ID that is not unique generates an error"],
    "runtime.create.duplicate-id-no-new": ["create", "after a duplicate-ID create, no new container is created and the existing one is unchanged"],
  },
  async run(t) {
    const b1 = t.bundle();
    const first = await t.create(t.newId("dup"), b1);
    const b2 = t.bundle((c) => { c.hostname = "second"; });
    const r = await t.rt.create(first.id, b2);
    t.check("runtime.create.duplicate-id-fails", r.code !== 0, "the second create with the same id succeeded");
    const s = (await t.rt.state(first.id)).state;
    t.check("runtime.create.duplicate-id-no-new", s?.pid === first.pid && s?.bundle === fs.realpathSync(b1) && s?.status === "created" && alive(first.pid),
      `state after: ${JSON.stringify(s)}`);
  },
});

defineCase({
  name: "runtime-invalid-id",
  spec: "runtime.md",
  reqs: {
    "runtime.create.invalid-id": ["create", "create with an invalid ID (a path separator) generates an error and creates no container"],
  },
  async run(t) {
    const base = t.newId("bad");
    const id = `${base}/../${base}-x`;
    const r = await t.rt.create(id, t.bundle());
    const made = fs.existsSync(path.join(t.rt.root, base)) || fs.existsSync(path.join(t.rt.root, `${base}-x`));
    t.check("runtime.create.invalid-id", r.code !== 0 && !made, `create exited ${r.code}; state directory made: ${made}`);
    if (r.code === 0) await t.rt.delete(id, true);
  },
});

defineCase({
  name: "runtime-create-error",
  spec: "runtime.md",
  reqs: {
    "runtime.create.error": ["lifecycle", "if the runtime cannot create the environment in config.json, it generates an error"],
    "runtime.errors.no-trace": ["errors", "an operation that generates an error leaves the environment as if it were never attempted"],
  },
  async run(t) {
    const cg = `/tsrunc-conf-createerr-${process.pid}`;
    const b = t.bundle((c) => {
      c.linux.cgroupsPath = cg;
      c.mounts.push({ destination: "/data", type: "bind", source: "/nonexistent/tsrunc-conf-source", options: ["rbind"] });
    });
    const id = t.newId("err");
    const r = await t.rt.create(id, b);
    t.check("runtime.create.error", r.code !== 0, "create with a bind mount of a missing source succeeded");
    const s = await t.rt.state(id);
    const cgs = Object.values(cgroupMounts().v1).map((m) => path.join(m, cg)).filter((p) => fs.existsSync(p));
    t.check("runtime.errors.no-trace", s.exec.code !== 0 && cgs.length === 0, `after the failed create: state exited ${s.exec.code}; cgroups left: ${cgs.join(", ")}`);
  },
});

defineCase({
  name: "runtime-kill-created",
  spec: "runtime.md",
  reqs: {
    "runtime.kill.created": ["kill", "kill of a created container sends the signal: its process stops and the status is stopped"],
  },
  async run(t) {
    const ct = await t.create(t.newId("killc"), t.bundle());
    const r = await t.rt.kill(ct.id, "KILL");
    await t.waitFor(() => !alive(ct.pid), "the killed process to exit").catch(() => {});
    const s = (await t.rt.state(ct.id)).state;
    t.check("runtime.kill.created", r.code === 0 && !alive(ct.pid) && s?.status === "stopped", `${describe(r)}; alive ${alive(ct.pid)}; status ${s?.status}`);
  },
});

defineCase({
  name: "runtime-nonexistent",
  spec: "runtime.md",
  reqs: {
    "runtime.state.nonexistent": ["query-state", "querying a container that does not exist generates an error"],
    "runtime.start.nonexistent": ["start", "starting a container that does not exist generates an error"],
    "runtime.kill.nonexistent": ["kill", "signalling a container that does not exist generates an error"],
    "runtime.delete.nonexistent": ["delete", "deleting a container that does not exist generates an error"],
    "runtime.state.no-id": ["query-state", "state generates an error if it is not provided the ID of a container"],
    "runtime.start.no-id": ["start", "start generates an error if it is not provided the container ID"],
    "runtime.kill.no-id": ["kill", "kill generates an error if it is not provided the container ID"],
    "runtime.delete.no-id": ["delete", "delete generates an error if it is not provided the container ID"],
  },
  async run(t) {
    const id = t.newId("none");
    for (const [verb, args] of [["state", ["state", id]], ["start", ["start", id]], ["kill", ["kill", id, "KILL"]], ["delete", ["delete", id]]] as const) {
      const r = await t.rt.exec([...args]);
      t.check(`runtime.${verb}.nonexistent`, r.code !== 0, `${verb} of a nonexistent container exited 0`);
      const r2 = await t.rt.exec([verb]);
      t.check(`runtime.${verb}.no-id`, r2.code !== 0, `${verb} without an id exited 0`);
    }
  },
});
