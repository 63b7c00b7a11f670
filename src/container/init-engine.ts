// `tsrunc init`: the fresh engine create, run and exec start (linux/engine.ts). It reads one plan
// from the sync socket, takes what the stages need, and becomes the container's PID 1 (when it
// was started in the container's pid namespace), stage 1 of the container's init (init.ts) or
// stage 1 of an exec (exec-stages.ts). Same rules as init.ts: synchronous calls, no console.
import { writeFile } from "../linux/file";
import { O, F_SETFD, FD_CLOEXEC, type Sys } from "../sys";
import type { Mount } from "../spec/types";
import { step } from "../errors";
import { SyncReader, send } from "./sync";
import { runStage1, fail, type InitPlan } from "./init";
import type { ExecPlan } from "./exec-stages";
import { engineIsForkSafe } from "../linux/engine";
import { forkSingleThreaded, keepJitOnFork, threadCount } from "../linux/process";
import { userNamespaceFd } from "../linux/idmapped";
import { isIdmapped } from "../linux/mountopts";
import { seccompLib } from "../sys/seccomp";
import { filter } from "../sys/arrays";

export function initEngineMain(sys: Sys, fds: { sync: number; console: number }, atMain = 0): never {
  try {
    // exec'd as /proc/self/fd/N, the kernel named us "N": name ourselves for ps, as runc's
    // "runc:[2:INIT]" (15 characters at most; the container's execve renames it)
    try { writeFile("/proc/self/comm", "tsrunc:[init]", sys); } catch { /* a name only */ }
    // inherited across our exec only; no further (the container's execve closes them: success is silence)
    sys.fcntl(fds.sync, F_SETFD, FD_CLOEXEC);
    sys.fcntl(fds.console, F_SETFD, FD_CLOEXEC);
    if (!engineIsForkSafe()) throw new Error("init: the engine was started without the fork-safe options (see src/linux/engine.ts)");
    const ready = performance.now();
    const r = new SyncReader(fds.sync);
    const m = r.expect("plan", "wait for the plan");
    if (m.type !== "plan") throw new Error("unreachable");
    // stage 1 clones PID 1 or the exec'd process; /proc/self still shows our own mappings here
    // (an exec's stage 1 joins the container's mount namespace, where it does not)
    if (m.kind === "exec" || !m.plan.pid1) keepJitOnFork(sys);
    if (m.kind === "create") {
      const plan = m.plan;
      if (plan.debug) {
        // marks are absolute times: the parent's clock starts at its own exec
        const at = (ms: number) => ` @${performance.timeOrigin + ms}`;
        send(fds.sync, { type: "debug", msg: `timing init engine: exec${at(0)}` });
        send(fds.sync, { type: "debug", msg: `timing init engine: start to main${at(atMain)}` });
        send(fds.sync, { type: "debug", msg: `timing init engine: start to ready for the plan${at(ready)}` });
        send(fds.sync, { type: "debug", msg: `timing init engine: plan read${at(performance.now())}` });
      }
      const fifoFd = step("open exec.fifo", () => sys.open(plan.fifoPath, O.PATH | O.CLOEXEC, 0));
      const idmapFds = idmappedMountNamespaces(sys, plan);
      // dlopen before fork: the child must not take the dynamic loader's locks
      if (plan.spec.linux?.seccomp) seccompLib();
      const stage1 = () => runStage1(sys, { ...plan, syncFd: fds.sync, consoleSock: fds.console, fifoFd, idmapFds }, r);
      // PID 1 of the container's pid namespace already: no fork, whatever the thread count
      if (plan.pid1) stage1();
      becomeStage1(sys, stage1);
    }
    const plan: ExecPlan = m.exec;
    if (plan.opts.seccomp) seccompLib();
    // exec's stages are loaded only for an exec (this engine's start is on create's critical path)
    const { execStage1 } = require("./exec-stages") as typeof import("./exec-stages");
    becomeStage1(sys, () => execStage1(sys, plan, fds.sync, plan.opts.process.terminal ? fds.console : -1));
  } catch (e) {
    fail(sys, fds.sync, e);
  }
}

/** idmapped mounts get their user namespaces here, from the privileged side, before any unshare */
function idmappedMountNamespaces(sys: Sys, plan: InitPlan): Map<Mount, number> {
  const fds = new Map<Mount, number>();
  const { spec } = plan;
  for (const m of filter(spec.mounts ?? [], isIdmapped)) {
    fds.set(m, userNamespaceFd(sys, m.uidMappings ?? spec.linux?.uidMappings ?? [], m.gidMappings ?? spec.linux?.gidMappings ?? []));
  }
  return fds;
}

/**
 * unshare(CLONE_NEWUSER) and setns() into user and mount namespaces need a single-threaded caller,
 * and stage 1's clone copies only the calling thread (a lock held by another would stay held).
 * Started with SINGLE_THREAD_ENV (engine.ts) we usually are single-threaded: then we are stage 1,
 * and PID 1 (CLONE_PARENT) is our parent's child. Otherwise stage 1 is a forked child
 * (linux/process.ts) and we exit after the fork: our parent, a child subreaper, adopts it.
 */
function becomeStage1(sys: Sys, stage1: () => never): never {
  if (threadCount() === 1) stage1();
  // a collection in flight at fork would leave the child waiting for collector threads that fork
  // did not copy; a full collection first leaves none in flight
  Bun.gc(true);
  const pid = step("fork stage 1", () => forkSingleThreaded(sys));
  if (pid === 0) stage1();
  sys.exit(0);
}
