// The create path (DESIGN.md §1), parent side, top to bottom. The init side's steps run in a
// second engine (linux/engine.ts, init-engine.ts, init.ts); the numbered "sync" comments mark
// where the two meet over the socketpair.
import { fs } from "../linux/lazy-fs";
import { readFile } from "../linux/file";
import * as path from "../pathname";
import { O, S_IF, SIGNALS, type Sys } from "../sys";
import type { Spec } from "../spec/types";
import { ConfigError, UsageError, StepError, step, errnoOf } from "../errors";
import { loadSpec } from "../spec/load";
import { validateId } from "../spec/validate";
import { log, timeline, debugEnabled, type Timeline } from "../log";
import { stateDir, fifoPath, writeSaved, SPEC_VERSION, type SavedState } from "../state/state";
import { lockDir } from "../state/lock";
import { primeCgroupMovesAgain } from "../linux/cgroups/prime";
import { hostHierarchies, ownCgroups, parseProcCgroup, cgroupDirs, createCgroups, enterCgroups, removeCgroups, driverFor, type CgroupDir, type Hierarchy } from "../linux/cgroups";
import { startInitEngine, initCanBePid1, respawnInitEngine, type InitEngine } from "../linux/engine";
import { reapQuietly } from "../linux/process";
import { writeIdMaps, hostIdOf } from "../linux/idmap";
import { newNamespace, hasNamespace } from "../linux/namespaces";
import { makeNetworkNamespace } from "../linux/network";
import { isBind } from "../linux/mountopts";
import { SyncReader, send, InitError, type SyncMsg } from "./sync";
import type { InitPlan } from "./init";
import { unsupportedFields } from "./unsupported";
import { runHooks, runHooksContinuing, initHookSync } from "../linux/hooks";
import { sendToConsoleSocket } from "../linux/terminal";
import { usesNotify, type SeccompSpec } from "../linux/seccomp";
import type { IntelRdt } from "../linux/intelrdt";

// Loaded only for the configs that use them (each create's own engine pays for what it loads)
const systemd = () => require("../linux/cgroups/systemd") as typeof import("../linux/cgroups/systemd");
const intelRdt = () => require("../linux/intelrdt") as typeof import("../linux/intelrdt");
import { hostFacts } from "./host";

export interface CreateOptions {
  root: string;
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** `run` in the foreground with a terminal and no console socket: keep the master */
  proxyTerminal?: boolean;
  /** the init engine, when the caller started it even before loading this module */
  engine?: InitEngine;
  /** --systemd-cgroup: systemd makes the cgroups, as a transient scope (slice:prefix:name) */
  systemdCgroup?: boolean;
  /**
   * `run`: open exec.fifo for reading before the init gets there, so it goes on to its execve
   * as soon as it is ready instead of waiting for start (startOpened reads its reply)
   */
  startRightAway?: boolean;
}

interface HostCgroups { hierarchies: Hierarchy[]; own: Map<string, string> }

export interface Created {
  saved: SavedState;
  dir: string;
  /** the lock fd on the state dir, held until the caller exits */
  lockFd: number;
  /** the pty master when process.terminal and no console socket took it */
  consoleMaster?: number;
  /** startRightAway: exec.fifo, open for reading */
  fifoFd?: number;
}

export function createContainer(sys: Sys, opts: CreateOptions): Created {
  const t = timeline;
  // 0. the init engine starts first and loads while we read the config; a refusal kills it
  const engine = opts.engine ?? step("start the init engine", () => startInitEngine());
  t.mark("spawn the init engine");
  try {
    // 1. everything that can be refused is refused before any other side effect
    const idProblem = validateId(opts.id);
    if (idProblem) throw new UsageError(idProblem);
    const hierarchies = hostHierarchies(), ownCg = ownCgroups();
    return createWith(sys, opts, engine, { hierarchies, own: ownCg }, t);
  } catch (e) {
    // reaped already when it was stage 1 (its pid may be reused since)
    if (!engine.reaped) {
      try { sys.kill(engine.pid, SIGNALS.SIGKILL); } catch { /* exited */ }
      reapQuietly(sys, engine.pid);
    }
    throw e;
  } finally {
    sys.close(engine.sock);
    sys.close(engine.consoleSock);
  }
}

function createWith(sys: Sys, opts: CreateOptions, engine: InitEngine, cg: HostCgroups, t: Timeline): Created {
  const bundle = path.resolve(opts.bundle || ".");
  const { spec, warnings } = loadSpec(bundle, hostFacts());
  for (const w of warnings) log.warn(w);
  const problems = unsupportedFields(spec);
  if (problems.length) throw new ConfigError(problems);
  const rootfs = checkRootfs(sys, bundle, spec);
  const nss = spec.linux?.namespaces ?? [];
  // a joined mount namespace (by path) gets the rootfs set up in it, as runc and crun do
  if (!hasNamespace(nss, "mount")) throw new ConfigError(["/linux/namespaces: tsrunc needs a mount namespace (new or joined) to set up the rootfs"]);
  // runc's rule: a terminal needs someone to hold its master: the console socket, or `run` itself
  const terminal = !!spec.process?.terminal;
  if (terminal && !opts.consoleSocket && !opts.proxyTerminal) throw new UsageError("cannot allocate tty if tsrunc will detach without setting console socket");
  if (!terminal && opts.consoleSocket) throw new UsageError("cannot use console socket if tsrunc will not allocate tty (process.terminal is false)");
  // main.ts started the init engine from its reading of config.json: one that does not fit
  // (a config changed since, a bundle it did not find) is replaced
  const pid1 = initCanBePid1(nss, spec.mounts ?? []);
  if (engine.pidNs !== pid1) respawnInitEngine(sys, engine, pid1);
  t.mark("load and validate config");

  // 2. the state dir is the container's existence: mkdir is the atomic "id is free" test
  // through Sys: node:fs loads only after the plan is sent (linux/lazy-fs.ts)
  try {
    sys.mkdirat(-100, opts.root, 0o700);
  } catch (e) {
    if (errnoOf(e) === 2 /* ENOENT: a parent is missing too */) fs.mkdirSync(opts.root, { recursive: true, mode: 0o700 });
    else if (errnoOf(e) !== 17 /* EEXIST */) throw e;
  }
  const dir = stateDir(opts.root, opts.id);
  try {
    sys.mkdirat(-100, dir, 0o711);
  } catch (e) {
    if (errnoOf(e) === 17) throw new UsageError(`container with id exists: ${opts.id}`);
    throw e;
  }
  const lockFd = lockDir(sys, dir);
  const undo: (() => void)[] = [() => fs.rmSync(dir, { recursive: true, force: true })];
  try {
    const { saved, consoleMaster, fifoFd } = setUp(sys, opts, engine, cg, spec, bundle, rootfs, dir, undo, t);
    return { saved, dir, lockFd, consoleMaster, fifoFd };
  } catch (e) {
    const cleanupErrors: string[] = [];
    for (const u of undo.reverse()) {
      try { u(); } catch (ce) { cleanupErrors.push(ce instanceof Error ? ce.message : String(ce)); }
    }
    if (cleanupErrors.length && e instanceof Error) e.message += `; cleanup also failed: ${cleanupErrors.join("; ")}`;
    throw e;
  }
}

function setUp(sys: Sys, opts: CreateOptions, engine: InitEngine, cg: HostCgroups, spec: Spec, bundle: string, rootfs: string, dir: string, undo: (() => void)[], t: Timeline): { saved: SavedState; consoleMaster?: number; fifoFd?: number } {
  const nss = spec.linux?.namespaces ?? [];
  // systemd's unit lands below systemd's own cgroup (runc's getSubsystemPath); it is made once
  // the first process exists, and the "creating" state records the predicted paths before that
  // (a create killed meanwhile can still be cleaned up by delete --force)
  const sdUnit = opts.systemdCgroup ? step("systemd", () => systemd().parseSystemdPath(spec.linux?.cgroupsPath, opts.id)) : undefined;
  // org.systemd.property.* annotations: refused before any process exists, like runc
  const sdExtra = sdUnit ? step("systemd", () => systemd().annotationProperties(spec.annotations)) : [];
  const cgDirs = sdUnit
    ? systemd().predictSystemdDirs(cg.hierarchies, parseProcCgroup(fs.readFileSync("/proc/1/cgroup", "utf8")), sdUnit)
    : cgroupDirs(cg.hierarchies, cg.own, spec.linux?.cgroupsPath, opts.id);
  // a create killed from here on leaves a "creating" state that delete --force can clean up
  const saved: SavedState = {
    ociVersion: SPEC_VERSION, id: opts.id, pid: 0, bundle, rootfs, created: new Date().toISOString(), owner: "",
    annotations: spec.annotations, initStartTime: 0, cgroupDirs: cgDirs.map((d) => d.dir), cgroups: cgDirs, cgroupCreated: [],
    namespaces: nss.filter((n) => !n.path).map((n) => n.type), rootless: process.getuid?.() !== 0, hooks: spec.hooks, creating: true, netDevices: spec.linux?.netDevices,
  };
  writeSaved(dir, saved);

  // exec.fifo: the init blocks opening it for writing until `start` opens it for reading
  const fifo = fifoPath(dir);
  // the init opens it after switching to the container's user: owned by the container's root,
  // mode 0622 whatever our umask
  const umask = sys.umask(0);
  try { sys.mknodat(-100, fifo, S_IF.FIFO | 0o622, 0); } finally { sys.umask(umask); }
  sys.fchownat(-100, fifo, hostIdOf(spec.linux?.uidMappings, 0), hostIdOf(spec.linux?.gidMappings, 0), 0);
  const fifoFd = opts.startRightAway ? sys.open(fifo, O.RDONLY | O.NONBLOCK | O.CLOEXEC, 0) : undefined;
  if (fifoFd !== undefined) undo.push(() => sys.close(fifoFd));
  const notify = usesNotify(spec.linux?.seccomp as SeccompSpec | undefined);
  const cgroupsEarly = newNamespace(nss, "cgroup");
  // Two messages tell PID 1 about its cgroups: "cgroups" (they exist: their directories for a
  // cgroup mount) and "joined" (it is in them: it may pivot_root). PID 1 mounts and makes its
  // devices meanwhile. Without "go" or "mapped" to wait for, stage 1 reads nothing after the plan,
  // so "cgroups" goes as soon as the cgroups exist, and "joined" as soon as PID 1's pid is known
  // too: at once when the init engine is PID 1 itself (engine.pidNs), else when stage 1 says.
  const early = !sdUnit && !cgroupsEarly && !newNamespace(nss, "user");
  const env = [...(spec.process?.env ?? []), ...listenFdsEnv()];
  // the init engine, PID 1 already, joins a network namespace made here once it has its plan
  let netnsFd = -1;
  const netnsLater = engine.pidNs && newNamespace(nss, "network");
  const plan: InitPlan = {
    spec, rootfs, bundle, fifoPath: fifo, noPivot: !!opts.noPivot,
    setupDev: !(spec.mounts ?? []).some((m) => m.destination === "/dev" && isBind(m)),
    preserveFds: (opts.preserveFds ?? 0) + listenFds(), env,
    keyringName: opts.noNewKeyring ? null : opts.id, waitForGo: cgroupsEarly, debug: debugEnabled(), id: opts.id,
    pid1: engine.pidNs, hostPid: engine.pid, netnsLater, startsAtOnce: !!opts.startRightAway,
  };

  // 3. the init engine forks stage 1 (init-engine.ts), then exits; its children become ours
  send(engine.sock, { type: "plan", kind: "create", plan });
  t.mark("send the plan");
  if (netnsLater) {
    netnsFd = makeNetworkNamespace(sys);
    undo.push(() => { if (netnsFd >= 0) sys.close(netnsFd); });
    // before "cgroups" and "go": PID 1 reads it first
    send(engine.sock, { type: "netns", path: `/proc/${process.pid}/fd/${netnsFd}` });
    t.mark("network namespace");
  }
  // the fast window of cgroup moves lasts about one grace period after the last one, and grace
  // periods here take 3-12 ms: moves queued now and at each step below keep it open until PID 1's,
  // unless we move PID 1 right after the cgroups exist (early && engine.pidNs): then they would
  // only hold the window open past our exit, for whatever runs next
  const reprime = !(early && engine.pidNs);
  if (reprime) primeCgroupMovesAgain(cg.hierarchies, cg.own);

  const parentSock = engine.sock, consoleParent = engine.consoleSock;
  const r = new SyncReader(parentSock);
  const debug = (m: string) => (m.startsWith("timing ") ? t.mark(m.slice(7, m.indexOf(" @")), Number(m.slice(m.indexOf(" @") + 2)) - performance.timeOrigin) : log.debug(m));
  let initPid = 0, stage1 = 0;
  // stage 1 exits once it has cloned PID 1, unless it is PID 1 itself (plan.pid1)
  const reapStage1 = () => {
    if (stage1 === initPid) return;
    reapQuietly(sys, stage1);
    if (stage1 === engine.pid) engine.reaped = true;
  };
  undo.push(() => { if (stage1) reapStage1(); });
  undo.push(() => {
    if (!initPid) return;
    try { sys.kill(initPid, SIGNALS.SIGKILL); } catch { /* gone */ }
    reapQuietly(sys, initPid);
    if (initPid === engine.pid) engine.reaped = true;
  });
  // the init may have failed and gone before it reads what we send: its error is then waiting in
  // the socket, and that, not the EPIPE of our write, is what the user needs to see
  const tell = (m: SyncMsg) => {
    try {
      send(parentSock, m);
    } catch (e) {
      for (let m2 = r.next(); m2; m2 = r.next()) if (m2.type === "error") throw new InitError(m2.message, m2.errno);
      throw e;
    }
  };
  let consoleMaster: number | undefined;
  try {
    // systemd: StartTransientUnit puts the first process in, and the limits go in right after,
    // before PID 1 is told to go on (the 'cgroups' message)
    // the directories systemd reports are the ones that count (the plan's were a prediction)
    let finalDirs = cgDirs;
    const joinSystemd = (pid: number) => {
      const sd = step("create cgroups", () => systemd().startSystemdScope(sys, spec.linux?.cgroupsPath, opts.id, pid, spec.linux?.resources ?? {}, { hierarchies: cg.hierarchies, extra: sdExtra }));
      undo.splice(1, 0, () => { const e = [...systemd().stopSystemdScope(sys, sd.unit), ...removeCgroups(sd.created)]; if (e.length) throw new Error(e.join("; ")); });
      finalDirs = sd.dirs;
      Object.assign(saved, { systemdUnit: sd.unit, cgroupCreated: sd.created, cgroups: sd.dirs, cgroupDirs: sd.dirs.map((d) => d.dir) });
      writeSaved(dir, saved);
      step("apply cgroup resources", () => driverFor(sd.dirs, { bpf: sys }).apply(spec.linux?.resources ?? {}));
      t.mark("cgroups");
    };
    // the cgroups are made while the init engine starts (it takes longer than we do to get here):
    // mkdir waits for the grace period main.ts primed (linux/cgroups/prime.ts), as it needs
    // cgroup_mutex, which the priming move holds meanwhile; PID 1's move then does not wait
    if (!sdUnit) {
      const created = step("create cgroups", () => createCgroups(cgDirs));
      // undone after the processes are killed: a cgroup with tasks cannot be removed
      undo.splice(1, 0, () => { const errs = removeCgroups(created); if (errs.length) throw new Error(errs.join("; ")); });
      saved.cgroupCreated = created;
      // PID 1 may mount them now; it is moved in only once the limits are in
      if (early) tell({ type: "cgroups", mountDirs: cgroupMountDirs(cgDirs) });
      // limits go in before any process joins: a small memory limit must hold from the first page
      step("apply cgroup resources", () => driverFor(cgDirs, { bpf: sys }).apply(spec.linux?.resources ?? {}));
      t.mark("cgroups");
      if (early && engine.pidNs) {
        // a failure before its pid is reported must still kill it before the cgroups go
        undo.push(() => {
          if (initPid || engine.reaped) return;
          try { sys.kill(engine.pid, SIGNALS.SIGKILL); } catch { /* gone */ }
          reapQuietly(sys, engine.pid);
          engine.reaped = true;
        });
        enterCgroups(cgDirs, engine.pid);
        tell({ type: "joined" });
        t.mark("join cgroups");
      } else {
        primeCgroupMovesAgain(cg.hierarchies, cg.own);
      }
      // delete --force of a create killed from here on finds the cgroups to remove
      writeSaved(dir, saved);
    }
    stage1 = (r.expect("stage1", "start the init", debug) as { pid: number }).pid;
    if (reprime) primeCgroupMovesAgain(cg.hierarchies, cg.own);
    // a forked stage 1: once the init engine is reaped, stage 1 and PID 1 are our children (we
    // are a subreaper), before PID 1 sets its parent-death signal
    if (stage1 !== engine.pid) {
      reapQuietly(sys, engine.pid);
      engine.reaped = true;
    }
    t.mark("fork");
    // sync 1: a new cgroup namespace is rooted at the cgroup its creator is in, so then stage 1
    // joins the cgroups before it unshares (plan.waitForGo). Otherwise stage 1 goes on at once
    // and PID 1 joins them while it mounts.
    if (cgroupsEarly) {
      if (sdUnit) joinSystemd(stage1);
      else enterCgroups(cgDirs, stage1);
      tell({ type: "go" });
    }
    // sync 2: a new user namespace gets its maps from us, the privileged side
    if (newNamespace(nss, "user")) {
      r.expect("userns", "create user namespace", debug);
      writeIdMaps(stage1, spec.linux?.uidMappings ?? [], spec.linux?.gidMappings ?? []);
      tell({ type: "mapped" });
    }
    // sync 3-5: stage 1 reports PID 1's host pid and exits; PID 1 may stop before pivot_root for
    // the runtime-namespace hooks (it needs its host pid for their state), then reports ready.
    // Both write to one socket, so under load "pid" can arrive after PID 1's own messages.
    let ready = false, hooksAsked = false, hooksDone = false;
    while (!initPid || !ready || (hooksAsked && !hooksDone)) {
      const m = r.next();
      if (!m) throw new Error("set up the container: the init process exited without a word");
      if (m.type === "debug") debug(m.msg);
      else if (m.type === "error") throw new InitError(m.message, m.errno);
      else if (m.type === "pid") {
        initPid = m.pid;
        t.mark("init: namespaces and clone");
        // PID 1 cannot exec before `start`, and `start` needs this create to have returned
        if (!early) {
          if (!cgroupsEarly) {
            if (sdUnit) joinSystemd(initPid);
            else enterCgroups(cgDirs, initPid);
          }
          tell({ type: "cgroups", mountDirs: cgroupMountDirs(finalDirs) });
          tell({ type: "joined" });
          t.mark("join cgroups");
        } else if (!engine.pidNs) {
          enterCgroups(cgDirs, initPid);
          tell({ type: "joined" });
          t.mark("join cgroups");
        }
        // its network namespace exists now (stage 1 made it before the clone)
        if (spec.linux?.netDevices) (require("../linux/netdev") as typeof import("../linux/netdev")).moveNetDevices(sys, spec.linux.netDevices, netnsFd >= 0 ? { netnsFd } : { pid: initPid });
        if (spec.linux?.intelRdt) {
          saved.intelRdtDirs = intelRdt().applyIntelRdt(spec.linux.intelRdt as IntelRdt, opts.id, initPid);
          undo.push(() => { intelRdt().removeIntelRdt(saved.intelRdtDirs ?? []); });
        }
        reapStage1();
        // state.json now, while PID 1 sets itself up, rather than after "ready": `start` needs
        // our lock, which we hold until we return, so nobody acts on it before that. Not when
        // hooks run before "ready": they may ask `state`, which must say "creating" meanwhile
        if (!initHookSync(spec)) {
          writeFinalState(dir, saved, initPid);
          t.mark("state written");
        }
      } else if (m.type === "hooks") hooksAsked = true;
      else if (m.type === "ready") ready = true;
      else throw new Error(`set up the container: unexpected message ${JSON.stringify(m)}`);
      if (hooksAsked && !hooksDone && initPid) {
        const state = { ociVersion: SPEC_VERSION, id: opts.id, status: "creating", pid: initPid, bundle, annotations: spec.annotations };
        // config.md: when a createRuntime/createContainer/startContainer hook fails, the runtime
        // stops the container and runs the poststop hooks
        undo.splice(1, 0, () => { for (const w of runHooksContinuing("poststop", spec.hooks?.poststop, { ...state, status: "stopped" })) log.warn(w); });
        runHooks("prestart", spec.hooks?.prestart, state);
        runHooks("createRuntime", spec.hooks?.createRuntime, state);
        tell({ type: "hooks-done", pid: initPid });
        hooksDone = true;
        t.mark("prestart and createRuntime hooks");
      }
    }
    t.mark("init ready");
    // PID 1 joined its network namespace before it said "ready"
    if (netnsFd >= 0) { sys.close(netnsFd); netnsFd = -1; }
    if (spec.process?.terminal) {
      const master = step("receive the pty master", () => sys.recvFd(consoleParent).fd);
      if (opts.consoleSocket) {
        try { sendToConsoleSocket(sys, opts.consoleSocket, master); } finally { sys.close(master); }
      } else {
        consoleMaster = master;
      }
    }
    if (notify) {
      const fd = step("receive the seccomp notify fd", () => sys.recvFd(consoleParent).fd);
      try {
        (require("./seccomp-listener") as typeof import("./seccomp-listener")).sendSeccompListener(sys, spec, opts.id, bundle, initPid, fd);
      } finally {
        sys.close(fd);
      }
    }
  } catch (e) {
    throw new StepError("create", e);
  }

  // 5. state.json (unless written above), then the pid file: clients read it as "create succeeded"
  if (initHookSync(spec)) writeFinalState(dir, saved, initPid);
  if (opts.pidFile) writePidFile(opts.pidFile, initPid);
  t.mark("state written");
  return { saved, consoleMaster, fifoFd };
}

function writeFinalState(dir: string, saved: SavedState, initPid: number): void {
  const stat = readFile(`/proc/${initPid}/stat`);
  saved.pid = initPid;
  saved.initStartTime = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
  delete saved.creating;
  writeSaved(dir, saved);
}

function checkRootfs(sys: Sys, bundle: string, spec: Spec): string {
  const p = spec.root?.path;
  if (!p) throw new ConfigError(["/root/path: is required"]);
  const rootfs = path.resolve(bundle, p);
  let mode: number;
  try {
    mode = sys.lstat(rootfs).mode & 0o170000;
  } catch {
    throw new ConfigError([`/root/path: rootfs ${JSON.stringify(rootfs)} does not exist`]);
  }
  if (mode === S_IF.LNK) throw new ConfigError([`/root/path: rootfs ${JSON.stringify(rootfs)} is a symlink; give the real path`]);
  if (mode !== S_IF.DIR) throw new ConfigError([`/root/path: rootfs ${JSON.stringify(rootfs)} is not a directory`]);
  return rootfs;
}

function cgroupMountDirs(dirs: CgroupDir[]): { name: string; dir: string }[] {
  return dirs.map((d) => ({ name: d.version === 2 ? "unified" : d.key.replace(/^name=/, ""), dir: d.dir }));
}

/** systemd socket activation: LISTEN_FDS fds pass through, and the container sees itself as PID 1 */
function listenFds(): number {
  const n = Number(process.env.LISTEN_FDS ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

function listenFdsEnv(): string[] {
  const n = listenFds();
  return n ? [`LISTEN_FDS=${n}`, "LISTEN_PID=1"] : [];
}


export function writePidFile(file: string, pid: number): void {
  const abs = path.resolve(file);
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}`);
  fs.writeFileSync(tmp, String(pid));
  fs.renameSync(tmp, abs);
}
