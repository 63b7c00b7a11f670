// The init engine: the processes that end up inside the container run in a second, fresh engine.
//
// Two reasons, one mechanism:
// - fork(2) and the JS engine's threads. fork copies only the calling thread; a lock another
//   engine thread held at that moment stays held forever in the child. Measured with 4x200
//   parallel `run`s on this 2-CPU machine: 0.3-1% of init children hung in pthread_cond_wait on a
//   WTF::Lock of a JIT or MarkedBlock warm-up thread (JITWorker, JSCWarmUp). A GC before fork,
//   useConcurrentJIT=0, a 1e6 tier-up policy, one GC marker, useWarmUpMarkedBlocks=0 alone: still
//   hanging. With no JIT tier and no warm-up neither thread kind starts, and the init engine
//   checks that it has one thread before it is stage 1 (init-engine.ts). JSC reads its options
//   only at start, so the engine that forks is started with them.
//   The JIT itself stays enabled, with every tier off (the interpreter runs everything, which
//   for code that runs once is also the fastest: a baseline tier cost ~3 ms more per create):
//   Bun's FFI refuses to load without it, and it binds libc in 0.3 ms where koffi takes 2-3 ms.
//   JSC maps its executable memory MADV_DONTFORK; linux/process.ts undoes that before a clone.
// - CVE-2019-5736. Until execve, the init and exec processes are this executable, visible from
//   the container's pid namespace; a container process that may ptrace-read them (CAP_SYS_PTRACE)
//   opens /proc/<pid>/exe and writes the runtime's file once it stops running. The init engine is
//   executed from a read-only, detached bind mount of the executable, so that file refuses writes
//   (EROFS), for as long as the container holds the fd, without copying 100 MB into a memfd.
//
// The parent (`create`, `run`, `exec`) keeps its JIT and never forks: posix_spawn starts the
// init engine at once, while the parent loads and validates the config, and sends it the plan.
import { AT_EMPTY_PATH, AT_FDCWD, F_SETFD, MOUNT_ATTR, O, PR } from "../sys";
import { SysError } from "../errors";
import { INIT_ENV } from "./init-fds";
import { isIdmapped } from "./mountopts";
import { realSys, type Sys } from "../sys";
import { some } from "../sys/arrays";

export const FORK_SAFE_ENGINE_ENV: Record<string, string> = {
  BUN_JSC_useJIT: "1",
  BUN_JSC_useBaselineJIT: "0",
  BUN_JSC_useDFGJIT: "0",
  BUN_JSC_useFTLJIT: "0",
  BUN_JSC_useConcurrentJIT: "0",
  BUN_JSC_useWarmUpMarkedBlocks: "0",
};

// The init engine also runs without the collector's helper threads and mimalloc's purge thread,
// so it usually stays single-threaded and can be stage 1 itself, without a fork (init-engine.ts).
const SINGLE_THREAD_ENV: Record<string, string> = {
  BUN_JSC_useConcurrentGC: "0",
  BUN_JSC_numberOfGCMarkers: "1",
  MIMALLOC_PURGE_DELAY: "-1",
};


const OPEN_TREE_CLONE = 1;

export interface InitEngine {
  pid: number;
  /** the parent's end of the sync socket (line-delimited JSON, sync.ts) */
  sock: number;
  /** the parent's end of the socket that carries the pty master and the seccomp notify fd */
  consoleSock: number;
  /** how the executable was protected: "read-only bind" or why not */
  exe: string;
  /** set once waited for: its pid may belong to someone else after that */
  reaped?: boolean;
  /** started as PID 1 of a new pid namespace: it becomes the container's PID 1 itself */
  pidNs: boolean;
}

/**
 * Whether the init engine can be the container's PID 1 itself, started in the new pid namespace
 * (spawnInitEngine): no user namespace (the pid namespace would belong to the host's, and a new
 * one must come first), no time namespace and no pid namespace joined by path (both apply to
 * children only), no mount namespace joined by path (setns needs a single-threaded caller, which
 * the engine then could not fork to be), no idmapped mount (its helper's pid, in the new
 * namespace, would not name it in the host's /proc). Otherwise stage 1 clones PID 1 (init.ts).
 */
export function initCanBePid1(nss: readonly Namespace[], mounts: readonly Parameters<typeof isIdmapped>[0][]): boolean {
  // before the spawn: no Array builtin (sys/arrays.ts)
  return some(nss, (n) => n.type === "pid" && !n.path) && !some(nss, (n) => n.type === "user" || n.type === "time" || (n.type === "mount" && n.path)) && !some(mounts, isIdmapped);
}

export interface Namespace { type: string; path?: string }

/**
 * Starts `tsrunc init` in a fresh engine. It inherits our stdio and every fd without CLOEXEC
 * (--preserve-fds, LISTEN_FDS, conmon's pipes), like a forked child would.
 */
export function spawnInitEngine(sys: Sys, pidNs = false): InitEngine {
  const [sock, childSock] = sys.socketpair();
  const [consoleSock, childConsole] = sys.socketpair();
  let exeFd = -1;
  let exe = "read-only bind";
  try {
    exeFd = readOnlyExecutable(sys);
  } catch (e) {
    // rootless: no CAP_SYS_ADMIN for a bind mount, and no write access to a root-owned binary either
    exe = `the executable itself (${e instanceof Error ? e.message : String(e)})`;
  }
  try {
    sys.fcntl(childSock, F_SETFD, 0);
    sys.fcntl(childConsole, F_SETFD, 0);
    // a subreaper keeps PID 1 our child when the init engine forks (linux/process.ts) and exits
    sys.prctl(PR.SET_CHILD_SUBREAPER, 1);
    const env = { ...FORK_SAFE_ENGINE_ENV, ...SINGLE_THREAD_ENV, [INIT_ENV]: `${childSock},${childConsole}` };
    const path = exeFd >= 0 ? `/proc/self/fd/${exeFd}` : "/proc/self/exe";
    // unshare(CLONE_NEWPID) changes where this thread's next child goes, nothing else, and a
    // multi-threaded caller may make it: the init engine is then PID 1 of the container's pid
    // namespace, with no clone and no stage 1 to exit after it (init.ts)
    let pid: number;
    try {
      pid = sys.posixSpawn(path, ["tsrunc", "init"], env, { newPidNs: pidNs });
    } catch (e) {
      // no CAP_SYS_ADMIN (rootless): stage 1 clones PID 1 instead
      if (!pidNs || !(e instanceof SysError) || e.syscall !== "unshare") throw e;
      pidNs = false;
      pid = sys.posixSpawn(path, ["tsrunc", "init"], env);
    }
    return { pid, sock, consoleSock, exe, pidNs };
  } catch (e) {
    sys.close(sock);
    sys.close(consoleSock);
    throw e;
  } finally {
    sys.close(childSock);
    sys.close(childConsole);
    // the last reference to the detached bind: dissolving it can wait for a grace period
    if (exeFd >= 0) sys.closeInBackground(exeFd);
  }
}

let early: InitEngine | undefined;

/**
 * main.ts starts the init engine before argv is parsed when the command word is create or run;
 * the command's handler then takes it. When parsing fails, our exit closes its socket and it exits.
 */
export function startInitEngineEarly(config?: { namespaces: Namespace[]; mounts: Parameters<typeof isIdmapped>[0][] }): void {
  try { early = spawnInitEngine(realSys(), !!config && initCanBePid1(config.namespaces, config.mounts)); } catch { /* the handler tries again and reports */ }
}

/**
 * The config's namespaces decide how the init engine starts (initCanBePid1): create calls this
 * when main.ts guessed differently (its guess reads config.json before argv is parsed).
 */
export function respawnInitEngine(sys: Sys, engine: InitEngine, pidNs: boolean): void {
  try { sys.kill(engine.pid, 9); } catch { /* exited */ }
  try { sys.waitpid(engine.pid, 0); } catch { /* reaped */ }
  sys.close(engine.sock);
  sys.close(engine.consoleSock);
  Object.assign(engine, spawnInitEngine(sys, pidNs), { reaped: false });
}

/** the init engine for create and run: the one main.ts started, or a new one (sys/spawn.ts) */
export function startInitEngine(): InitEngine {
  const e = early ?? spawnInitEngine(realSys());
  early = undefined;
  return e;
}

/** A detached read-only bind mount of our executable; exec'ing /proc/self/fd/N runs from it. */
function readOnlyExecutable(sys: Sys): number {
  const fd = sys.openTree(AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | O.CLOEXEC);
  try {
    sys.mountSetattr(fd, "", AT_EMPTY_PATH, { attrSet: MOUNT_ATTR.RDONLY, attrClr: 0, propagation: 0, usernsFd: 0 });
  } catch (e) {
    sys.close(fd);
    throw e;
  }
  return fd;
}

/** true when the engine runs with the fork-safe options (checked before each fork) */
export function engineIsForkSafe(): boolean {
  for (const [k, v] of Object.entries(FORK_SAFE_ENGINE_ENV)) if (process.env[k] !== v) return false; // no Array builtin: sys/arrays.ts
  return true;
}
