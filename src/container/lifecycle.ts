// start, kill, delete, state, list: the verbs that act on an existing container's state.
import { fs } from "../linux/lazy-fs";
import { exists } from "../linux/file";
import * as path from "../pathname";
import { O, SIGNALS, ESRCH, ENOENT, F_GETFL, F_SETFL, type Sys } from "../sys";
import { UsageError, SysError, StepError, NoContainerError, errnoOf } from "../errors";
import { log } from "../log";
import { readSaved, stateDir, fifoPath, statusOf, initAlive, isFrozen, type SavedState } from "../state/state";
import { lockDir } from "../state/lock";
import { removeCgroups, allPids } from "../linux/cgroups/tree";
import { validateId } from "../spec/id";
import type { HookState } from "../linux/hooks";

// What only some containers need is loaded when they need it: start, kill and delete run once
// per container each, and loading the cgroup drivers, the D-Bus client and the hook runner
// eagerly cost every call ~0.5 ms (measured).
const hooks = () => require("../linux/hooks") as typeof import("../linux/hooks");

export interface Opened { saved: SavedState; dir: string; lockFd: number }

/** Runs fn holding the container's lock; the lock is released when fn returns or throws. */
export function withContainer<T>(sys: Sys, root: string, id: string, fn: (c: Opened) => T): T {
  if (validateId(id)) throw new NoContainerError();
  const dir = stateDir(root, id);
  // through Sys, loaded here: start, kill and delete then read and remove without node:fs
  let lockFd: number;
  try {
    lockFd = lockDir(sys, dir);
  } catch (e) {
    if (errnoOf(e) === ENOENT) throw new NoContainerError();
    throw e;
  }
  try {
    return fn({ saved: readSaved(root, id), dir, lockFd });
  } finally {
    sys.close(lockFd);
  }
}

/** Releases the init blocked on exec.fifo: opening the fifo for reading lets its open return. */
export function startContainer(sys: Sys, root: string, id: string): SavedState {
  return withContainer(sys, root, id, ({ saved, dir }) => startLocked(sys, saved, dir));
}

/** start, for a caller that holds the container's lock and its state */
export function startLocked(sys: Sys, saved: SavedState, dir: string): SavedState {
  // exec.fifo exists while the container is created (or being created): opening it first tells
  // that without a stat of its own; statusOf names what the container is otherwise
  let fd: number;
  try {
    fd = sys.open(fifoPath(dir), O.RDONLY | O.NONBLOCK | O.CLOEXEC, 0);
  } catch (e) {
    if (errnoOf(e) === ENOENT) refuseStart(statusOf(saved, dir));
    throw new StepError("open exec.fifo", e);
  }
  try {
    refuseStart(saved.creating ? "creating" : initAlive(saved) ? "created" : "stopped");
  } catch (e) {
    sys.close(fd);
    throw e;
  }
  return startOpened(sys, saved, dir, fd);
}

function refuseStart(status: string): void {
  if (status === "stopped") throw new UsageError("cannot start a container that has stopped");
  if (status !== "created") throw new UsageError(`cannot start an already ${status} container`);
}

/**
 * The rest of start, with exec.fifo open for reading (closed here): `run` opens it before the
 * init gets there (create.ts, startRightAway), so the init does not wait for this call.
 */
export function startOpened(sys: Sys, saved: SavedState, dir: string, fd: number): SavedState {
  const fifo = fifoPath(dir);
  let reply: string;
  try {
    reply = readInitReply(sys, fd, saved);
  } finally {
    sys.close(fd);
  }
  try { sys.unlink(fifo); } catch { /* gone */ }
  if (reply !== "0") throw new Error(`start: ${reply.slice(1) || "the init process failed"}`);
  if (saved.hooks?.poststart?.length) for (const w of hooks().runHooksContinuing("poststart", saved.hooks.poststart, hookState(saved, "running"))) log.warn(w);
  return saved;
}

/**
 * Opening the fifo releases the init (its open for writing returns); it then runs its
 * startContainer hooks and writes "0", or "1" and the reason, and its execve closes the fifo.
 * Until the init's open has returned, a read sees EOF (no writer yet): then poll briefly; once it
 * has, a blocking read returns as soon as the init writes, with no polling delay. After "0" we
 * read on to that EOF, like runc: when start returns, the container's program is running (a
 * caller may look at /proc/<pid> at once).
 */
function readInitReply(sys: Sys, fd: number, saved: SavedState): string {
  sys.fcntl(fd, F_SETFL, sys.fcntl(fd, F_GETFL, 0) & ~O.NONBLOCK);
  const buf = Buffer.alloc(4096);
  const read = (): string => buf.toString("utf8", 0, sys.read(fd, buf));
  for (let wait = 0.05; ; wait = Math.min(wait * 2, 10)) {
    let got = read();
    if (got === "0") {
      while (read()) { /* nothing more comes before the execve closes the fifo */ }
      return got;
    }
    if (got) {
      // "1" and the reason: the init exits after writing, so EOF ends the message
      for (let more = read(); more; more = read()) got += more;
      return got;
    }
    if (!initAlive(saved)) {
      got = read();
      if (got) return got;
      throw new UsageError("cannot start a container that has stopped");
    }
    Bun.sleepSync(wait);
  }
}

export function hookState(saved: SavedState, status: string): HookState {
  return { ociVersion: saved.ociVersion, id: saved.id, status, pid: status === "stopped" ? undefined : saved.pid, bundle: saved.bundle, annotations: saved.annotations };
}

/** every pid of a cgroup and its sub-cgroups (runc's GetAllPids); none once it is gone */
export function pidsIn(dir: string): number[] {
  try {
    return allPids(dir);
  } catch {
    return [];
  }
}

/** [0-9]+ without a regular expression or an Array builtin: each costs ~0.1 ms at its first use (sys/arrays.ts) */
function allDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 48 || s.charCodeAt(i) > 57) return false;
  return s.length > 0;
}

export function parseSignal(s: string | undefined): number {
  if (s === undefined || s === "") return SIGNALS.SIGTERM;
  if (allDigits(s)) {
    const n = Number(s);
    if (n < 0 || n > 64) throw new UsageError(`invalid signal ${JSON.stringify(s)}`);
    return n;
  }
  const name = s.toUpperCase().startsWith("SIG") ? s.toUpperCase() : "SIG" + s.toUpperCase();
  const n = SIGNALS[name];
  if (n === undefined) throw new UsageError(`unknown signal ${JSON.stringify(s)}`);
  return n;
}

export function killContainer(sys: Sys, root: string, id: string, signal: number, all: boolean): void {
  withContainer(sys, root, id, ({ saved }) => {
  // whether it is stopped is all kill asks: no look at exec.fifo or the freezer (statusOf)
  const stopped = !saved.creating && !initAlive(saved);
  if (all) {
    // every process of the container's cgroup; also works when init is gone but children live on
    const pids = new Set(saved.cgroupDirs.flatMap(pidsIn));
    for (const pid of pids) { try { sys.kill(pid, signal); } catch { /* exited meanwhile */ } }
    if (pids.size || !stopped) return;
  }
  if (stopped) throw new UsageError("container not running");
  try {
    const pidfd = signalInit(sys, saved, signal);
    if (pidfd === undefined) throw new UsageError("container not running");
    sys.close(pidfd);
  } catch (e) {
    if (e instanceof SysError && e.errno === ESRCH) throw new UsageError("container not running");
    throw e;
  }
  });
}

/**
 * The signal to the container's init through a pidfd opened before its start time is checked, so
 * a recycled pid is never signalled (kill(2) by number after the check had a window). Returns the
 * pidfd, or undefined when the init is gone. Without pidfd_open (before Linux 5.3), kill(2).
 */
function signalInit(sys: Sys, saved: SavedState, signal: number): number | undefined {
  let pidfd: number;
  try {
    pidfd = sys.pidfdOpen(saved.pid);
  } catch (e) {
    if (errnoOf(e) === ESRCH) return undefined;
    if (!initAlive(saved)) return undefined;
    sys.kill(saved.pid, signal);
    return -1;
  }
  try {
    if (!initAlive(saved)) throw new SysError("pidfd_send_signal", ESRCH);
    sys.pidfdSendSignal(pidfd, signal);
    return pidfd;
  } catch (e) {
    sys.close(pidfd);
    if (errnoOf(e) === ESRCH) return undefined;
    throw e;
  }
}

export function deleteContainer(sys: Sys, root: string, id: string, force: boolean): void {
  try {
    withContainer(sys, root, id, ({ saved, dir }) => {
      // a stopped container (the usual delete) needs no more than its init's liveness
      if (saved.creating || initAlive(saved)) {
        const status = statusOf(saved, dir);
        if (!force && status !== "created" && status !== "stopped") throw new UsageError(`cannot delete container ${id} that is not stopped: ${status}`);
        if (status !== "stopped") killAndWait(sys, saved);
      }
      destroy(sys, saved, dir);
    });
  } catch (e) {
    if (force && e instanceof NoContainerError) return; // runc: delete --force of a missing container succeeds
    throw e;
  }
}

/** SIGKILL every process of the container (thawing a frozen cgroup first) and wait until init is gone. */
function killAndWait(sys: Sys, saved: SavedState): void {
  if (saved.netDevices && initAlive(saved)) {
    const { moveNetDevicesBack } = require("../linux/netdev") as typeof import("../linux/netdev");
    for (const e of moveNetDevicesBack(sys, saved.netDevices, saved.pid)) log.warn(e);
  }
  // frozen tasks would not act on SIGKILL until thawed (the driver is loaded only then: ~1 ms)
  if (isFrozen(saved)) {
    try { (require("../linux/cgroups") as typeof import("../linux/cgroups")).driverFor(saved.cgroups).thaw(); } catch { /* cgroups already gone */ }
  }
  // runc's rule: in a pid namespace of its own, the kernel kills every other process when the
  // init dies (and reaps them before the init's exit is seen); in a shared one, every process of
  // the container's cgroups is signalled (reading them cost ~2 ms for ten hierarchies)
  const others = saved.namespaces.includes("pid") ? [] : saved.cgroupDirs.flatMap(pidsIn).filter((p) => p !== saved.pid);
  for (const pid of others) { try { sys.kill(pid, SIGNALS.SIGKILL); } catch { /* exited */ } }
  // the pidfd's poll wakes at the init's exit (no polling of /proc)
  const pidfd = signalInit(sys, saved, SIGNALS.SIGKILL);
  if (pidfd === undefined) return;
  try {
    if (pidfd >= 0 ? !waitExit(sys, pidfd, 10000) : !waitGone(saved)) throw new Error(`delete: process ${saved.pid} did not die after SIGKILL`);
  } finally {
    if (pidfd >= 0) sys.close(pidfd);
  }
}

function waitExit(sys: Sys, pidfd: number, ms: number): boolean {
  for (const end = Date.now() + ms; Date.now() < end;) if (sys.waitReadable(pidfd, Math.max(1, end - Date.now()))) return true;
  return false;
}

function waitGone(saved: SavedState): boolean {
  for (let i = 0; i < 10000; i++) {
    if (!initAlive(saved)) return true;
    Bun.sleepSync(1);
  }
  return false;
}

/**
 * run's delete, once it has reaped the container's PID 1: its state from create, under the lock
 * again, unless another call deleted the container meanwhile (its state.json is gone then)
 */
export function deleteReaped(sys: Sys, saved: SavedState, dir: string): void {
  if (!exists(dir)) return;
  const lockFd = lockDir(sys, dir);
  try {
    if (exists(path.join(dir, "state.json"))) destroy(sys, saved, dir);
  } finally {
    sys.close(lockFd);
  }
}

function destroy(sys: Sys, saved: SavedState, dir: string): void {
  // systemd removes the cgroups of its unit; what is left (hierarchies it does not manage) is ours
  const errors = [
    ...(saved.systemdUnit ? (require("../linux/cgroups/systemd") as typeof import("../linux/cgroups/systemd")).stopSystemdScope(sys, saved.systemdUnit) : []),
    ...removeCgroups([...saved.cgroupDirs, ...saved.cgroupCreated]),
    ...(saved.intelRdtDirs?.length ? (require("../linux/intelrdt") as typeof import("../linux/intelrdt")).removeIntelRdt(saved.intelRdtDirs) : []),
  ];
  removeStateDir(sys, dir);
  if (errors.length) log.warn(errors.join("; "));
  if (saved.hooks?.poststop?.length) for (const w of hooks().runHooksContinuing("poststop", saved.hooks.poststop, hookState(saved, "stopped"))) log.warn(w);
}


/** the state directory holds state.json, and exec.fifo until start: anything else takes node:fs */
function removeStateDir(sys: Sys, dir: string): void {
  for (const f of ["state.json", "exec.fifo"]) { try { sys.unlink(path.join(dir, f)); } catch { /* not there */ } }
  try {
    sys.rmdir(dir);
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export { readContainer, containerState, listContainers } from "./query";
