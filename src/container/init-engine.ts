// `tsrunc init`: the fresh engine create, run and exec start (linux/engine.ts). It reads one plan
// from the sync socket, takes what the stages need, and becomes stage 1 of the container's init
// (init.ts) or of an exec (exec.ts). Same rules as init.ts: synchronous calls, no console.
import { O, F_SETFD, FD_CLOEXEC, type Sys } from "../sys";
import type { Mount } from "../spec/types";
import { step } from "../errors";
import { SyncReader } from "./sync";
import { runStage1, fail, type InitPlan } from "./init";
import { execStage1, type ExecPlan } from "./exec";
import { engineIsForkSafe } from "../linux/engine";
import { forkSingleThreaded } from "../linux/process";
import { isIdmapped, userNamespaceFd } from "../linux/idmapped";
import { seccompLib } from "../sys/seccomp";

export function initEngineMain(sys: Sys, fds: { sync: number; console: number }): never {
  try {
    // inherited across our exec only; no further (the container's execve closes them: success is silence)
    sys.fcntl(fds.sync, F_SETFD, FD_CLOEXEC);
    sys.fcntl(fds.console, F_SETFD, FD_CLOEXEC);
    if (!engineIsForkSafe()) throw new Error("init: the engine was started without the fork-safe options (see src/linux/engine.ts)");
    const r = new SyncReader(fds.sync);
    const m = r.expect("plan", "wait for the plan");
    if (m.type !== "plan") throw new Error("unreachable");
    if (m.kind === "create") {
      const plan = m.plan;
      const fifoFd = step("open exec.fifo", () => sys.open(plan.fifoPath, O.PATH | O.CLOEXEC, 0));
      const idmapFds = idmappedMountNamespaces(sys, plan);
      // dlopen before fork: the child must not take the dynamic loader's locks
      if (plan.spec.linux?.seccomp) seccompLib();
      becomeStage1(sys, () => runStage1(sys, { ...plan, syncFd: fds.sync, consoleSock: fds.console, fifoFd, idmapFds }, r));
    }
    const plan: ExecPlan = m.exec;
    if (plan.opts.seccomp) seccompLib();
    becomeStage1(sys, () => execStage1(sys, plan, fds.sync, plan.opts.process.terminal ? fds.console : -1));
  } catch (e) {
    fail(sys, fds.sync, e);
  }
}

/** idmapped mounts get their user namespaces here, from the privileged side, before any unshare */
function idmappedMountNamespaces(sys: Sys, plan: InitPlan): Map<Mount, number> {
  const fds = new Map<Mount, number>();
  const { spec } = plan;
  for (const m of (spec.mounts ?? []).filter(isIdmapped)) {
    fds.set(m, userNamespaceFd(sys, m.uidMappings ?? spec.linux?.uidMappings ?? [], m.gidMappings ?? spec.linux?.gidMappings ?? []));
  }
  return fds;
}

/**
 * unshare(CLONE_NEWUSER) and setns() into user and mount namespaces need a single-threaded caller;
 * an engine has helper threads, so stage 1 is a forked child (linux/process.ts). We exit after the
 * fork: our parent is a child subreaper and adopts stage 1 and the container's PID 1.
 */
function becomeStage1(sys: Sys, stage1: () => never): never {
  // a collection in flight at fork would leave the child waiting for collector threads that fork
  // did not copy; a full collection first leaves none in flight
  Bun.gc(true);
  const pid = step("fork stage 1", () => forkSingleThreaded(sys));
  if (pid === 0) stage1();
  sys.exit(0);
}
