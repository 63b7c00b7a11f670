// The init side of create: code that runs in the init engine and, when it has to clone PID 1,
// its clone (stage diagram in linux/process.ts).
// Rules: synchronous calls only, no console, no promises; finish with execve or sys.exit; report
// failures to the parent as one "error" message, never on the container's stdio.
import { CLONE, PR, O, SIGNALS, type Sys } from "../sys";
import type { Spec, Mount } from "../spec/types";
import { step, errnoOf } from "../errors";
import { send, type SyncReader } from "./sync";
import { joinNamespaces, unshareUser, unshareOthers, unshareFlags, setHostname, newNamespace } from "../linux/namespaces";
import { writeTimeOffsets } from "../linux/idmap";
import { loopbackUp } from "../linux/network";
import { prepareRoot, applyMounts, pivotRoot, moveRoot, setRootPropagation, readonlyRoot } from "../linux/rootfs";
import { maskPaths, readonlyPaths } from "../linux/paths";
import { openRoot } from "../linux/fsroot";
import { createDevices, createDevSymlinks, devicesToCreate } from "../linux/devices";
import { applySysctl } from "../linux/sysctl";
import { applyApparmorProfile, setSelinuxExecLabel, setSelinuxKeyLabel, withMountLabel } from "../linux/lsm";
import { writeProc } from "../linux/procfs";
import { newSessionKeyring } from "../linux/keyring";
import { threadCount, resetSignalDispositions, dropCodePages } from "../linux/process";
import { applyProcess, loadSeccompLate } from "./process";
import type { SeccompSpec } from "../linux/seccomp";
import { initHookSync, runHooksInInit, type HookState } from "../linux/hooks";

// Loaded only by the containers that use them: the init engine's start is on create's critical
// path (the module graph is in the executable, so a load after pivot_root works too)
const terminal = () => require("../linux/terminal") as typeof import("../linux/terminal");
import { setCpuAffinity } from "../linux/sched";
import { bytes } from "../sys/bytes";
import { some } from "../sys/arrays";

/** What the parent decides and sends to the init engine as JSON (engine.ts, init-engine.ts). */
export interface InitPlan {
  spec: Spec;
  rootfs: string;
  bundle: string;
  /** exec.fifo in the state dir: the init blocks opening it for writing until `start` */
  fifoPath: string;
  noPivot: boolean;
  /** /dev is not bound from the host: create the default devices */
  setupDev: boolean;
  /** fds 3..3+n-1 pass into the container (--preserve-fds, LISTEN_FDS) */
  preserveFds: number;
  env: string[];
  /** the container id, as the new session keyring's name; null with --no-new-keyring */
  keyringName: string | null;
  /** stage 1 waits for "go" before it unshares: the parent puts it in the cgroups first (a new cgroup namespace) */
  waitForGo: boolean;
  /** the init engine was started as PID 1 of the container's new pid namespace (engine.ts): no clone */
  pid1: boolean;
  /** the init engine's pid on the host */
  hostPid: number;
  /**
   * the parent makes the new network namespace after sending the plan (~0.9 ms of kernel work,
   * off both our paths) and sends its path ("netns"): joined before a sysfs mount shows it
   */
  netnsLater?: boolean;
  /** `run`: exec.fifo is open for reading already, so nothing waits for `start` */
  startsAtOnce?: boolean;
  debug: boolean;
  id: string;
}

/** The fds the init engine holds for stage 1 and 2. */
export interface InitFds {
  syncFd: number;
  /** O_PATH fd of exec.fifo, reopened for writing through /proc/self/fd after pivot_root */
  fifoFd: number;
  /** user namespace fds of the idmapped mounts (linux/idmapped.ts) */
  idmapFds: Map<Mount, number>;
  /** socket for the pty master and the seccomp notify fd (SCM_RIGHTS) */
  consoleSock: number;
}

type Init = InitPlan & InitFds;

/** Stage 1: enter and create namespaces, then clone the container's PID 1 as our sibling. */
export function runStage1(sys: Sys, plan: Init, r: SyncReader): never {
  try {
    // CVE-2019-5736: this process and its clone are the tsrunc executable until execve; keep their
    // /proc/<pid>/exe and memory from the container's processes from the first instruction
    // (the flag is inherited by the clone; execve resets it for the container's program)
    sys.prctl(PR.SET_DUMPABLE, 0);
    send(plan.syncFd, { type: "stage1", pid: plan.pid1 ? plan.hostPid : sys.getpid() });
    mark(plan, "stage 1 running");
    if (plan.waitForGo) {
      joinNetnsLater(sys, plan, r); // sent before "go"
      r.expect("go", "wait for the parent");
      mark(plan, "stage 1 in the cgroups");
    }
    const nss = plan.spec.linux?.namespaces ?? [];
    if (plan.debug) send(plan.syncFd, { type: "debug", msg: `init threads before unshare: ${threadCount()}` });
    joinNamespaces(sys, nss);
    // a joined user namespace maps its own ids; our host uid 0 may be unmapped there (overflow uid)
    if (some(nss, (n) => n.type === "user" && n.path)) step("become root in the joined user namespace", () => { sys.setresgid(0); sys.setresuid(0); });
    if (newNamespace(nss, "user")) {
      unshareUser(sys);
      send(plan.syncFd, { type: "userns" });
      r.expect("mapped", "wait for uid/gid maps");
      step("become root in the user namespace", () => { sys.setresgid(0); sys.setresuid(0); });
    }
    mark(plan, "stage 1 joined and made the user namespace");
    unshareOthers(sys, unshareFlags(nss) & ~(plan.pid1 ? CLONE.NEWPID : 0) & ~(plan.netnsLater ? CLONE.NEWNET : 0));
    mark(plan, "stage 1 unshare");
    if (newNamespace(nss, "time") && plan.spec.linux?.timeOffsets) writeTimeOffsets(plan.spec.linux.timeOffsets);
    if (newNamespace(nss, "uts")) setHostname(sys, plan.spec.hostname, plan.spec.domainname);
    if (newNamespace(nss, "network") && !plan.netnsLater) loopbackUp(sys);
    if (plan.pid1) {
      send(plan.syncFd, { type: "pid", pid: plan.hostPid });
      runStage2(sys, plan, r);
    }
    // CLONE_PARENT: PID 1 becomes a child of the tsrunc process, which `run` can then wait for
    const pid = step("clone the container process", () => sys.cloneParent());
    if (pid === 0) runStage2(sys, plan, r);
    mark(plan, "stage 1 clone");
    send(plan.syncFd, { type: "pid", pid });
    sys.exit(0);
  } catch (e) {
    fail(sys, plan.syncFd, e);
  }
}

let netnsJoined = false;

/** plan.netnsLater: the network namespace the parent made after the plan ("netns"), joined once */
function joinNetnsLater(sys: Sys, plan: Init, r: SyncReader): void {
  if (!plan.netnsLater || netnsJoined) return;
  const { path } = r.expect("netns", "wait for the network namespace") as { path: string };
  const fd = step(`open network namespace ${JSON.stringify(path)}`, () => sys.open(path, O.RDONLY | O.CLOEXEC, 0));
  try {
    step("join network namespace", () => sys.setns(fd, CLONE.NEWNET));
  } finally {
    sys.close(fd);
  }
  netnsJoined = true;
}

/** Stage 2: the container's PID 1 sets up its world, waits for `start`, and execs. */
function runStage2(sys: Sys, plan: Init, r: SyncReader): never {
  try {
    const { spec } = plan;
    const proc = spec.process!;
    const nss = spec.linux?.namespaces ?? [];
    const inUserNs = newNamespace(nss, "user") || some(nss, (n) => n.type === "user" && n.path);
    sys.umask(0);
    setCpuAffinity(sys, spec.process?.execCPUAffinity?.initial, "initial");
    // the parent's death must not leave a half-made container behind before exec
    sys.prctl(PR.SET_PDEATHSIG, 9);

    // 1. rootfs and mounts (runc's prepareRootfs order). The parent makes the cgroups and moves
    // us in while we mount (a cgroup move can wait out an RCU grace period): its "cgroups" message
    // says they exist (a "cgroup" mount needs the directories), its "joined" that we are in them,
    // which we must be before pivot_root: from there on the container's own code runs, and it is
    // charged to the container (the mounts are runtime work)
    let mountDirs: { name: string; dir: string }[] | undefined;
    const cgroupsMade = () => {
      if (!mountDirs) {
        joinNetnsLater(sys, plan, r); // sent before "cgroups"
        mountDirs = (r.expect("cgroups", "wait for the cgroups") as { mountDirs: { name: string; dir: string }[] }).mountDirs;
        mark(plan, "stage 2 cgroups made");
      }
      return mountDirs;
    };
    prepareRoot(sys, plan.rootfs, spec.linux?.rootfsPropagation);
    const rootFd = openRoot(sys, plan.rootfs);
    applyMounts({ sys, rootfs: plan.rootfs, rootFd, bundle: plan.bundle, cgroupDirs: cgroupsMade, inUserNs, idmapFds: plan.idmapFds, mountLabel: spec.linux?.mountLabel, beforeSysfs: () => joinNetnsLater(sys, plan, r) }, spec.mounts ?? []);
    if (plan.setupDev) {
      createDevices(sys, rootFd, devicesToCreate(spec.linux?.devices), inUserNs);
      createDevSymlinks(sys, rootFd);
    }
    sys.close(rootFd);
    cgroupsMade();
    r.expect("joined", "wait to be moved into the cgroups");
    mark(plan, "stage 2 in the cgroups");
    if (some(nss, (n) => n.type === "uts" && n.path)) setHostname(sys, spec.hostname, spec.domainname);

    mark(plan, "stage 2 mounts and devices");
    // the runtime's prestart/createRuntime hooks run now; then createContainer, in our namespaces
    // but before pivot_root, so its path still resolves in the runtime's mount namespace
    let hostPid = 0;
    if (initHookSync(spec)) {
      send(plan.syncFd, { type: "hooks" });
      hostPid = (r.expect("hooks-done", "wait for the createRuntime hooks") as { pid: number }).pid;
      runHooksInInit(sys, "createContainer", spec.hooks?.createContainer, hookState(plan, "creating", hostPid));
    }
    // 2. switch root
    if (plan.noPivot) moveRoot(sys, plan.rootfs);
    else pivotRoot(sys, plan.rootfs);
    setRootPropagation(sys, spec.linux?.rootfsPropagation);
    if (plan.keyringName !== null) {
      // SELinux labels a keyring when it is made, from the keycreate label
      setSelinuxKeyLabel(sys, proc.selinuxLabel);
      newSessionKeyring(sys, plan.keyringName);
    }
    let slave = -1;
    if (proc.terminal) {
      const pty = terminal().openPty(sys, proc.consoleSize);
      step("send the pty master", () => sys.sendFd(plan.consoleSock, pty.master, "console"));
      sys.close(pty.master);
      terminal().bindConsole(sys, pty.slave);
      slave = pty.slave;
    }

    mark(plan, "stage 2 pivot_root");
    // both take effect at execve; set now, before masked /proc paths, dropped capabilities and an
    // early seccomp filter could stand in the way of the procfs writes
    applyApparmorProfile(sys, proc.apparmorProfile);
    setSelinuxExecLabel(sys, proc.selinuxLabel);
    // 3. kernel settings that need the container's /proc
    if (spec.linux?.sysctl) applySysctl(sys, spec.linux.sysctl);
    readonlyPaths(sys, spec.linux?.readonlyPaths ?? []);
    maskPaths(sys, spec.linux?.maskedPaths ?? [], (data) => withMountLabel("tmpfs", data, spec.linux?.mountLabel) || null);
    if (spec.root?.readonly) readonlyRoot(sys);

    mark(plan, "stage 2 sysctl, masked and readonly paths");
    // 4. process attributes; oom_score_adj and rlimits while we still hold every capability
    if (spec.linux?.personality) (require("../linux/personality") as typeof import("../linux/personality")).setPersonality(sys, spec.linux.personality);
    if (spec.linux?.memoryPolicy) (require("../linux/mempolicy") as typeof import("../linux/mempolicy")).setMemoryPolicy(sys, spec.linux.memoryPolicy as { mode: string; nodes?: string; flags?: string[] });
    if (proc.oomScoreAdj !== undefined) step("set oom_score_adj", () => writeProc(sys, ["self/oom_score_adj"], String(proc.oomScoreAdj)));
    if (slave >= 0) terminal().becomeTerminalSession(sys, slave);
    const seccomp = spec.linux?.seccomp as SeccompSpec | undefined;
    const exe = applyProcess(sys, proc, plan.env, plan.preserveFds, (w) => send(plan.syncFd, { type: "debug", msg: `warning: ${w}` }), seccomp, (fd) => {
      step("send the seccomp notify fd", () => sys.sendFd(plan.consoleSock, fd, "seccomp"));
      sys.close(fd);
    });

    // 6. sync: ready; then block on exec.fifo until `start` opens it for reading
    mark(plan, "stage 2 process attributes");
    sys.prctl(PR.SET_PDEATHSIG, 0); // `create` exits now; the container must outlive it
    // the engine ignores SIGPIPE and SIGXFSZ, which execve would pass on, and catches SIGTERM,
    // which would keep a created container from dying of kill's default signal: reset them all
    // before waiting for `start` (and off start's path)
    resetSignalDispositions(sys);
    // as PID 1 of its pid namespace this process gets only the signals it handles: without a
    // handler, `kill` of a created container (podman stop: SIGTERM) would do nothing until
    // SIGKILL. runc's Go init exits on these; ours exits at once too (execve resets the handlers)
    sys.exitOnSignals([SIGNALS.SIGHUP, SIGNALS.SIGINT, SIGNALS.SIGQUIT, SIGNALS.SIGTERM]);
    send(plan.syncFd, { type: "ready" });
    sys.close(plan.syncFd);
    // what follows the wait is on start's path: the execve's arguments are converted now
    // (~0.2 ms in the interpreter), and only the syscall is left for then
    const exec: () => never = sys.prepareExecve(exe, proc.args!, plan.env), zero = bytes("0");
    // the wait for `start` may be long: hold less memory meanwhile (not for `run`: no wait)
    if (!plan.startsAtOnce) dropCodePages(sys);
    const w = step("open exec.fifo", () => sys.open(`/proc/self/fd/${plan.fifoFd}`, O.WRONLY | O.CLOEXEC, 0));
    try {
      runHooksInInit(sys, "startContainer", spec.hooks?.startContainer, hookState(plan, "created", hostPid));
    } catch (e) {
      // `start` reads this: a byte other than "0" and the reason
      sys.write(w, bytes(`1${e instanceof Error ? e.message : String(e)}`));
      sys.exit(1);
    }
    setCpuAffinity(sys, proc.execCPUAffinity?.final, "final");
    loadSeccompLate(proc, seccomp, () => {});
    sys.write(w, zero);
    try {
      exec();
    } catch (e) {
      // `start` has returned by now: the container's stderr is the only place left to say why
      try { sys.write(2, bytes(`tsrunc: exec ${JSON.stringify(proc.args![0])}: ${e instanceof Error ? e.message : e}\n`)); } catch { /* no stderr */ }
      sys.exit(127);
    }
  } catch (e) {
    fail(sys, plan.syncFd, e);
  }
}


function hookState(plan: InitPlan, status: string, pid: number): HookState {
  return { ociVersion: "1.3.0", id: plan.id, status, pid, bundle: plan.bundle, annotations: plan.spec.annotations };
}

/** a --debug timeline point, sent to the parent which prints it with its duration */
function mark(plan: Init, what: string): void {
  if (plan.debug) send(plan.syncFd, { type: "debug", msg: `timing ${what} @${performance.timeOrigin + performance.now()}` });
}

export function fail(sys: Sys, fd: number, e: unknown): never {
  try {
    send(fd, { type: "error", message: e instanceof Error ? e.message : String(e), errno: errnoOf(e) });
  } catch {
    // the parent is gone; nobody to tell
  }
  sys.exit(1);
}

