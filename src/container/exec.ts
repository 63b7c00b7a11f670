// exec: run another process in a running container, runc's setns path.
//
//   tsrunc exec (parent) ── posix_spawn ─→ tsrunc init (linux/engine.ts) ── fork ─→
//     ├─ stage 1: setns into each of PID 1's namespaces (user first, mount last),
//     │    clone(CLONE_PARENT) (a new pid or time namespace applies to children only), report, exit
//     └─ stage 2 (our child): wait until the parent put it in the container's cgroups,
//          apply the process attributes, execve; the CLOEXEC sync socket closes on success
import * as path from "../pathname";
import { type Sys } from "../sys";
import type { Spec } from "../spec/types";
import { UsageError, StepError, step } from "../errors";
import { log } from "../log";
import { stateDir, statusOf, type SavedState } from "../state/state";
import { NS_PROC_NAME, JOIN_ORDER } from "../linux/namespaces";
import { exitCodeOf, reapQuietly } from "../linux/process";
import { startInitEngine } from "../linux/engine";
import { enterCgroups } from "../linux/cgroups";
import { SyncReader, send } from "./sync";
import { usesNotify } from "../linux/seccomp";
import type { ExecOptions } from "./exec-stages";
import { waitForwardingSignals } from "./run";
import { writePidFile } from "./create";
import { readContainer } from "./query";
import { proxyTerminal } from "./console-proxy";
import { sendToConsoleSocket } from "../linux/terminal";
import { exists, readFile } from "../linux/file";

export type { ExecOptions, ExecPlan } from "./exec-stages";

export function loadContainer(root: string, id: string): { saved: SavedState; spec: Spec } {
  const saved = readContainer(root, id);
  const spec = JSON.parse(readFile(path.join(saved.bundle, "config.json"))) as Spec;
  return { saved, spec };
}

export async function execInContainer(sys: Sys, opts: ExecOptions): Promise<number> {
  const { saved } = loadContainer(opts.root, opts.id);
  const status = statusOf(saved, stateDir(opts.root, opts.id));
  if (status === "stopped") throw new UsageError("cannot exec in a stopped container");
  if (status === "paused" && !opts.ignorePaused) throw new UsageError("cannot exec in a paused container (use --ignore-paused to override)");
  const terminal = !!opts.process.terminal;
  if (terminal && opts.detach && !opts.consoleSocket) throw new UsageError("cannot allocate tty if tsrunc will detach without setting console socket");
  if (!terminal && opts.consoleSocket) throw new UsageError("cannot use console socket if tsrunc will not allocate tty");
  if (!opts.process.args?.length) throw new UsageError("exec: args must not be empty");
  if (usesNotify(opts.seccomp)) throw new UsageError("exec: the container's seccomp filter uses SCMP_ACT_NOTIFY, which exec does not support yet");
  // the namespaces that differ from ours are the container's (a namespace is its nsfs inode)
  const joins = JOIN_ORDER.filter((t) => {
    const name = NS_PROC_NAME[t];
    try {
      const theirs = sys.stat(`/proc/${saved.pid}/ns/${name}`), ours = sys.stat(`/proc/self/ns/${name}`);
      return theirs.ino !== ours.ino || theirs.dev !== ours.dev;
    } catch {
      return false;
    }
  });
  const engine = step("start the init engine", () => startInitEngine());
  const r = new SyncReader(engine.sock);
  let pid = 0, master: number | undefined;
  try {
    send(engine.sock, { type: "plan", kind: "exec", exec: { opts, pid: saved.pid, joins } });
    const stage1 = (r.expect("stage1", "start the exec process", (m) => log.debug(m)) as { pid: number }).pid;
    // a forked stage 1: the init engine exits after the fork; once it is reaped, its children are
    // ours (subreaper)
    if (stage1 !== engine.pid) reapQuietly(sys, engine.pid);
    pid = (r.expect("pid", "enter the container's namespaces", (m) => log.debug(m)) as { pid: number }).pid;
    reapQuietly(sys, stage1);
    enterCgroups(saved.cgroups.filter((d) => exists(d.dir, sys)), pid);
    send(engine.sock, { type: "go" });
    // success is silence: the socket is CLOEXEC, so a successful execve closes stage 2's end
    const m = r.next();
    if (m?.type === "error") throw new Error(m.message);
    if (terminal) {
      master = step("receive the pty master", () => sys.recvFd(engine.consoleSock).fd);
      if (opts.consoleSocket) {
        try { sendToConsoleSocket(sys, opts.consoleSocket, master); } finally { sys.close(master); master = undefined; }
      }
    }
  } catch (e) {
    if (pid) { try { sys.kill(pid, 9); sys.waitpid(pid, 0); } catch { /* gone */ } }
    throw new StepError("exec", e);
  } finally {
    sys.close(engine.sock);
    sys.close(engine.consoleSock);
    reapQuietly(sys, engine.pid);
  }
  if (opts.pidFile) writePidFile(opts.pidFile, pid);
  if (opts.detach) return 0;
  const proxy = master !== undefined ? proxyTerminal(sys, master) : undefined;
  const waitStatus = await waitForwardingSignals(sys, pid, proxy !== undefined);
  proxy?.finish();
  return exitCodeOf(waitStatus);
}

