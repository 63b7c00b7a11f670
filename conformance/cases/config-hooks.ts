// Hooks: config.md (POSIX-platform hooks: namespaces, argv/env, state on stdin, timeout, order)
// and runtime.md (where each hook type falls in the lifecycle, and what a failing hook does).
// Each hook appends its name to a log file on the host.
import * as fs from "node:fs";
import * as path from "node:path";
import { defineCase, Ctx } from "../lib/case";
import { nsLink, alive } from "../lib/host";
import { describe } from "../lib/runtime";

// Hooks read their stdin (the state) first: crun 1.8.1 dies of SIGPIPE (exit 141) when a hook exits
// before it has written the state, which would make results depend on timing.
const sh = (script: string, extra: Record<string, unknown> = {}) =>
  ({ path: "/bin/sh", args: ["sh", "-c", script.startsWith("cat >") ? script : `cat >/dev/null; ${script}`], ...extra });
const lines = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8").split("\n").filter(Boolean) : []);

defineCase({
  name: "hooks-lifecycle",
  spec: "runtime.md",
  reqs: {
    "runtime.hooks.create": ["lifecycle", "create invokes the prestart, createRuntime and createContainer hooks, in that order, and no other"],
    "runtime.hooks.startContainer": ["lifecycle", "start invokes the startContainer hooks before the user-specified program runs"],
    "runtime.hooks.poststart": ["lifecycle", "the poststart hooks are invoked after the program starts and before start returns"],
    "runtime.hooks.poststop": ["lifecycle", "delete invokes the poststop hooks, after the container is destroyed"],
  },
  async run(t) {
    const dir = t.mkdir("hooks");
    const log = path.join(dir, "log");
    const b = t.bundle((c) => {
      c.mounts.push({ destination: "/host", type: "bind", source: dir, options: ["rbind", "rw"] });
      c.process.args = ["sh", "-c", "echo program >> /host/log; exec sleep 600"];
      c.hooks = {
        prestart: [sh(`echo prestart >> ${log}`)],
        createRuntime: [sh(`echo createRuntime >> ${log}`)],
        createContainer: [sh(`echo createContainer >> ${log}`)],
        // slow on purpose: poststart must wait for the program's exec, which follows this hook;
        // a runtime that does not wait then fails every time instead of by chance
        startContainer: [{ path: "/bin/sh", args: ["sh", "-c", "cat >/dev/null; sleep 0.3; echo startContainer >> /host/log"] }],
        poststart: [sh(`echo poststart >> ${log}`)],
        poststop: [sh(`echo poststop >> ${log}`)],
      };
    });
    const ct = await t.create(t.newId("hooks"), b);
    t.eq("runtime.hooks.create", lines(log), ["prestart", "createRuntime", "createContainer"], "hooks run by create");
    await t.start(ct);
    const atStart = lines(log);
    await t.waitFor(() => lines(log).includes("program"), "the program to run").catch(() => {});
    const l = lines(log);
    // startContainer belongs to start (after the three create hooks) and precedes the program
    t.check("runtime.hooks.startContainer", l.indexOf("startContainer") >= 3 && l.indexOf("program") > l.indexOf("startContainer"), `log after start: ${l.join(", ")}`);
    t.check("runtime.hooks.poststart", atStart.includes("poststart") && atStart.indexOf("poststart") > atStart.indexOf("startContainer"), `log when start returned: ${atStart.join(", ")}`);
    await t.rt.kill(ct.id, "KILL");
    await t.waitFor(() => !alive(ct.pid), "the container to stop").catch(() => {});
    const before = lines(log);
    const d = await t.rt.delete(ct.id);
    const after = lines(log);
    t.check("runtime.hooks.poststop", d.code === 0 && !before.includes("poststop") && after[after.length - 1] === "poststop", `${describe(d)}; log after delete: ${after.join(", ")}`);
  },
});

defineCase({
  name: "hooks-posix",
  spec: "config.md",
  reqs: {
    "config.hooks.order": ["posix-platform-hooks", "hooks of one type are called in the listed order"],
    "config.hooks.state-stdin": ["posix-platform-hooks", "the container's state is passed to hooks on stdin"],
    "config.hooks.args-env": ["posix-platform-hooks", "a hook runs path with args as its argv (args[0] included) and env as its environment"],
    "config.hooks.createRuntime-namespace": ["createruntime-hooks", "createRuntime hooks are executed in the runtime namespace"],
    "config.hooks.createContainer-namespace": ["createcontainer-hooks", "createContainer hooks are executed in the container namespace"],
    "config.hooks.startContainer-path": ["startcontainer-hooks", "a startContainer hook's path resolves in the container namespace, where it runs"],
  },
  async run(t) {
    const dir = t.mkdir("hooks");
    const hookbin = t.mkdir("hookbin");
    fs.writeFileSync(path.join(hookbin, "start"), "#!/bin/sh\ncat >/dev/null\nreadlink /proc/self/ns/mnt > /host/ns-startContainer\n", { mode: 0o755 });
    const f = (n: string) => path.join(dir, n);
    const b = t.bundle((c) => {
      c.mounts.push({ destination: "/host", type: "bind", source: dir, options: ["rbind", "rw"] });
      // only inside the container: the host has no /tsrunc-conf-hookbin
      c.mounts.push({ destination: "/tsrunc-conf-hookbin", type: "bind", source: hookbin, options: ["rbind", "ro"] });
      c.hooks = {
        createRuntime: [
          sh(`cat > ${f("state.json")}; readlink /proc/self/ns/mnt > ${f("ns-createRuntime")}; echo first >> ${f("order")}`),
          sh(`echo second >> ${f("order")}`),
          { path: "/bin/sh", args: ["tsrunc-conf-argv0", "-c", `cat >/dev/null; echo "$0 $TSRUNC_CONF_HOOK" > ${f("argv")}`], env: ["TSRUNC_CONF_HOOK=from-env"] },
          sh(`echo third >> ${f("order")}`),
        ],
        createContainer: [sh(`readlink /proc/self/ns/mnt > ${f("ns-createContainer")}; readlink /proc/self/ns/uts >> ${f("ns-createContainer")}`)],
        startContainer: [{ path: "/tsrunc-conf-hookbin/start", args: ["start"] }],
      };
    });
    const ct = await t.create(t.newId("posix"), b);
    t.eq("config.hooks.order", lines(f("order")), ["first", "second", "third"], "order");
    await t.verify("config.hooks.state-stdin", () => {
      const s = JSON.parse(fs.readFileSync(f("state.json"), "utf8"));
      t.check("config.hooks.state-stdin", s.id === ct.id && s.pid === ct.pid && s.bundle === fs.realpathSync(b) && typeof s.ociVersion === "string",
        `state on stdin: ${JSON.stringify(s)}`);
    });
    t.eq("config.hooks.args-env", lines(f("argv")), ["tsrunc-conf-argv0 from-env"], "$0 and $TSRUNC_CONF_HOOK in the hook");
    t.eq("config.hooks.createRuntime-namespace", lines(f("ns-createRuntime")), [nsLink("self", "mnt")], "the createRuntime hook's mount namespace (the runner's)");
    t.eq("config.hooks.createContainer-namespace", lines(f("ns-createContainer")), [nsLink(ct.pid, "mnt"), nsLink(ct.pid, "uts")], "the createContainer hook's mnt and uts namespaces (the container's)");
    await t.start(ct);
    await t.waitFor(() => fs.existsSync(f("ns-startContainer")), "the startContainer hook").catch(() => {});
    t.eq("config.hooks.startContainer-path", lines(f("ns-startContainer")), [nsLink(ct.pid, "mnt")], "the startContainer hook's mount namespace");
  },
});

async function failingHook(t: Ctx, hooks: Record<string, unknown>, args = ["sleep", "600"]) {
  const dir = t.mkdir("hooks");
  const b = t.bundle((c) => {
    c.mounts.push({ destination: "/host", type: "bind", source: dir, options: ["rbind", "rw"] });
    c.process.args = args;
    c.hooks = JSON.parse(JSON.stringify(hooks).replaceAll("@DIR@", dir));
  });
  return { dir, b, log: path.join(dir, "log"), id: t.newId("hookfail") };
}

defineCase({
  name: "hooks-createRuntime-fails",
  spec: "runtime.md",
  reqs: {
    "runtime.hooks.createRuntime-fails": ["lifecycle", "a failing createRuntime hook makes create generate an error and the container is destroyed"],
    "runtime.hooks.fail-then-poststop": ["lifecycle", "after a failing createRuntime hook the lifecycle continues at destroy: the poststop hooks are invoked"],
  },
  async run(t) {
    const { b, log, id } = await failingHook(t, {
      // the hook logs first: a runtime that refuses hooks altogether must not pass
      createRuntime: [sh("echo createRuntime >> @DIR@/log; exit 1")],
      poststop: [sh("echo poststop >> @DIR@/log")],
    });
    const r = await t.rt.create(id, b);
    const s = await t.rt.state(id);
    t.check("runtime.hooks.createRuntime-fails", lines(log)[0] === "createRuntime" && r.code !== 0 && (s.exec.code !== 0 || s.state?.status === "stopped"),
      `create exited ${r.code}; state then: ${s.state?.status ?? "none"}; hooks log: ${lines(log).join(", ")}`);
    t.eq("runtime.hooks.fail-then-poststop", lines(log), ["createRuntime", "poststop"], "hooks log");
  },
});

defineCase({
  name: "hooks-timeout",
  spec: "config.md",
  reqs: {
    "config.hooks.timeout": ["posix-platform-hooks", "a hook running longer than its timeout is aborted and create generates an error"],
  },
  async run(t) {
    // exec: the hook is one process, which the runtime kills at the timeout
    const { b, id, log } = await failingHook(t, { createRuntime: [sh("echo started >> @DIR@/log; exec sleep 20", { timeout: 1 })] });
    const started = Date.now();
    const r = await t.rt.create(id, b);
    const secs = (Date.now() - started) / 1000;
    t.check("config.hooks.timeout", lines(log)[0] === "started" && r.code !== 0 && secs < 15, `create exited ${r.code} after ${secs.toFixed(1)}s; hooks log: ${lines(log).join(", ")}`);
  },
});

defineCase({
  name: "hooks-poststart-fails",
  spec: "runtime.md",
  reqs: {
    "runtime.hooks.poststart-fail-continues": ["lifecycle", "a failing poststart hook is only a warning: the remaining hooks run and the container keeps running"],
  },
  async run(t) {
    const { b, log, id } = await failingHook(t, { poststart: [sh("exit 1"), sh("echo second >> @DIR@/log")] });
    const ct = await t.create(id, b);
    const r = await t.rt.start(ct.id);
    await t.waitExec(ct.pid, ["sleep", "600"], 3000).catch(() => {});
    const s = (await t.rt.state(ct.id)).state;
    t.check("runtime.hooks.poststart-fail-continues", lines(log).includes("second") && s?.status === "running",
      `start exited ${r.code}; status ${s?.status}; log ${lines(log).join(", ")}`);
  },
});

defineCase({
  name: "hooks-poststop-fails",
  spec: "runtime.md",
  reqs: {
    "runtime.hooks.poststop-fail-continues": ["lifecycle", "a failing poststop hook is only a warning: the remaining hooks run and delete completes"],
  },
  async run(t) {
    const { b, log, id } = await failingHook(t, { poststop: [sh("exit 1"), sh("echo second >> @DIR@/log")] });
    const ct = await t.create(id, b);
    await t.rt.kill(ct.id, "KILL");
    await t.waitFor(() => !alive(ct.pid), "the container to stop").catch(() => {});
    const d = await t.rt.delete(ct.id);
    const s = await t.rt.state(ct.id);
    t.check("runtime.hooks.poststop-fail-continues", lines(log).includes("second") && s.exec.code !== 0,
      `${describe(d)}; state after delete exited ${s.exec.code}; log ${lines(log).join(", ")}`);
  },
});
