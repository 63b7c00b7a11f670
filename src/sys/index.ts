// The OS boundary. Every src/linux function receives a `Sys`; the real one (libc.ts) binds libc
// with Bun's FFI or koffi (ffi.ts, koffi.ts), the test double (test/fake-sys.ts) records calls.
// Nothing outside src/sys/ imports an FFI.

export * from "./constants";
// static imports: a first require() of a chunk cost ~0.9 ms here (measured before the init
// engine's spawn); these modules only define functions until realSys() is called
import { createLibcSys } from "./libc";
import { ffiBackend } from "./ffi";
import { koffiBackend } from "./koffi";

export interface WaitResult { pid: number; status: number }

export interface MountSetattr { attrSet: number; attrClr: number; propagation: number; usernsFd: number }

export interface Sys {
  /** fork(2) after the caller made every mapping MADV_DOFORK (see linux/process.ts) */
  fork(): number;
  /** clone(CLONE_PARENT|SIGCHLD): the child becomes a sibling of the caller */
  cloneParent(): number;
  exit(code: number): never;
  waitpid(pid: number, flags: number): WaitResult;
  kill(pid: number, sig: number): void;
  /** pidfd_open(2): an fd that names this very process, whatever its pid becomes (O_CLOEXEC) */
  pidfdOpen(pid: number): number;
  /** pidfd_send_signal(2): no recycled pid can receive it */
  pidfdSendSignal(pidfd: number, sig: number): void;
  /** poll(2) for POLLIN on one fd (a pidfd: the process has exited); false on timeout or a signal (EINTR) */
  waitReadable(fd: number, timeoutMs: number): boolean;
  getpid(): number;
  madvise(addr: bigint, len: bigint, advice: number): number;

  unshare(flags: number): void;
  setns(fd: number, nstype: number): void;
  sethostname(name: string): void;
  setdomainname(name: string): void;

  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  pivotRoot(newRoot: string, putOld: string): void;
  mountSetattr(dirfd: number, path: string, flags: number, attr: MountSetattr): void;
  /** open_tree(2): a detached copy of the mount at path (OPEN_TREE_CLONE) */
  openTree(dirfd: number, path: string, flags: number): number;
  /** move_mount(2) of a detached tree fd onto a path */
  moveMount(fromFd: number, toPath: string): void;
  chdir(path: string): void;
  fchdir(fd: number): void;
  chroot(path: string): void;

  open(path: string, flags: number, mode: number): number;
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number;
  close(fd: number): void;
  /** close_range(2): with CLOSE_RANGE_CLOEXEC (4), FD_CLOEXEC on every open fd in [first, last] */
  closeRange(first: number, last: number, flags: number): void;
  unlink(path: string): void;
  rmdir(path: string): void;
  /** rename(2): atomic replacement of `to` */
  rename(from: string, to: string): void;
  /** read(2) into buf; returns the bytes read */
  read(fd: number, buf: Uint8Array): number;
  /**
   * Writes data to the file at path on a thread of its own and returns at once; errors are
   * ignored. For writes that block in the kernel (a cgroup move waits for an RCU grace period).
   */
  writeInBackground(path: string, data: string): void;
  /** close(2) on a thread of its own: the last close of a detached mount (open_tree) waits for an RCU grace period */
  closeInBackground(fd: number): void;
  mkdirat(dirfd: number, path: string, mode: number): void;
  mknodat(dirfd: number, path: string, mode: number, dev: number): void;
  fchownat(dirfd: number, path: string, uid: number, gid: number, flags: number): void;
  symlinkat(target: string, dirfd: number, path: string): void;
  fcntl(fd: number, cmd: number, arg: number): number;
  flock(fd: number, op: number): void;
  umask(mask: number): number;
  socketpair(): [number, number];
  socket(domain: number, type: number, protocol: number): number;
  /** pipe2(O_CLOEXEC): [read end, write end] */
  pipe(): [number, number];
  dup2(oldFd: number, newFd: number): void;
  /** ioctl with an integer argument; returns the result (TIOCGPTPEER returns an fd) */
  ioctlInt(fd: number, request: number, arg: number): number;
  setsid(): number;
  /** a connected AF_UNIX stream socket (SOCK_CLOEXEC) */
  connectUnix(path: string): number;
  /** sendmsg with one fd as SCM_RIGHTS and `data` as the payload */
  sendFd(sock: number, fd: number, data: string): void;
  personality(persona: number): void;
  // bpf(2) for the cgroup v2 device filter (linux/cgroups/v2/devices.ts: BpfSys)
  bpfProgLoad(progType: number, insns: Buffer, license: string, log?: Buffer): number;
  bpfProgQuery(targetFd: number, attachType: number): number[];
  bpfProgGetFdById(id: number): number;
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number, replaceFd?: number): void;
  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void;
  ioprioSet(which: number, who: number, ioprio: number): void;
  /** sched_setattr(2) with a struct sched_attr buffer */
  schedSetattr(pid: number, attr: Buffer): void;
  setMempolicy(mode: number, nodemask: Buffer | null, maxnode: number): void;
  schedSetaffinity(pid: number, mask: Buffer): void;
  /** recvmsg of one fd sent with SCM_RIGHTS */
  recvFd(sock: number): { fd: number; data: string };
  ioctl(fd: number, request: number, arg: Buffer): void;

  execve(path: string, argv: string[], envp: string[]): never;
  /** execve(2) with its arguments converted now: the call itself later is the syscall alone */
  prepareExecve(path: string, argv: string[], envp: string[]): () => never;
  /**
   * posix_spawn(3) with default file actions and attributes: the child inherits every fd not
   * marked CLOEXEC, and our environment with `env` set in it. newPidNs: the child is PID 1 of a
   * new pid namespace (unshare(CLONE_NEWPID) around the spawn; an unshare error is thrown)
   */
  posixSpawn(path: string, argv: string[], env: Record<string, string>, opts?: { newPidNs?: boolean }): number;
  /** these signals back to SIG_DFL: ignored dispositions survive execve(2) */
  resetSignals(signals: number[]): void;
  /** these signals end the process at once, with their number as the exit status (_exit as the handler) */
  exitOnSignals(signals: number[]): void;
  setgroups(gids: number[]): void;
  setresuid(uid: number): void;
  setresgid(gid: number): void;
  prctl(option: number, a2: number, a3?: number, a4?: number, a5?: number): number;
  capget(): { effective: bigint; permitted: bigint; inheritable: bigint };
  capset(caps: { effective: bigint; permitted: bigint; inheritable: bigint }): void;
  prlimit(pid: number, resource: number, soft: bigint, hard: bigint): void;
  /** keyctl(KEYCTL_JOIN_SESSION_KEYRING, name): a new session keyring, its serial returned */
  joinSessionKeyring(name: string): number;
  /** keyctl(KEYCTL_DESCRIBE): "type;uid;gid;perm;description" */
  describeKey(id: number): string;
  setKeyPerm(id: number, perm: number): void;
  /** stat(2), symlinks followed: the file type and permission bits, a device's number, and the
   * file's identity (dev, ino: a namespace's, for /proc/<pid>/ns/<type>) */
  stat(path: string): { mode: number; rdev: number; dev: number; ino: number };
  /** access(2), F_OK for mode 0: whether the path resolves (symlinks followed); no struct to fill */
  access(path: string, mode: number): boolean;
  /** lstat(2): as stat, of a symlink itself */
  lstat(path: string): { mode: number; rdev: number };
  /** fstat(2) of an fd (O_PATH ones too): the file type and permission bits, and a device's number */
  fstat(fd: number): { mode: number; rdev: number };
  /** fstatfs(2): the f_type of the filesystem holding fd (linux/procfs.ts checks it is procfs) */
  fstatfs(fd: number): number;
  /** one write(2); returns the bytes written (procfs attr files take a label in one write) */
  write(fd: number, data: Buffer): number;
}

let real: Sys | undefined;

/**
 * Ends the process at once. exit(3) would also run the engine's and the FFI's teardown
 * (measured ~7 ms after a `run` with koffi loaded); _exit(2) skips it. Callers have flushed
 * their output.
 */
export function exitNow(code: number): never {
  if (real) real.exit(code);
  const reallyExit = (process as unknown as { reallyExit?: (code: number) => never }).reallyExit;
  return (reallyExit ?? process.exit)(code);
}

/** whether realSys() has been made: a caller with a choice uses it then, node:fs otherwise */
export function sysLoaded(): boolean {
  return real !== undefined;
}

/** The Sys of the verbs: realSys(), loaded on its first call, so verbs that make none skip it. */
export function lazySys(): Sys {
  return new Proxy({} as Sys, { get: (_t, k) => realSys("verbs")[k as keyof Sys] });
}

/**
 * The Sys of the real kernel: through Bun's FFI (sys/ffi.ts), or koffi where the JIT is off.
 * init: bind the init engine's functions first (sys/ffi.ts), not those of create's first steps;
 * "verbs": those of start, kill and delete (lazySys).
 */
export function realSys(init: boolean | "verbs" = false): Sys {
  if (!real) {
    let backend;
    try {
      backend = ffiBackend(init === true ? "init" : init || "early");
    } catch {
      // "bun:ffi requires the JIT": an engine started with BUN_JSC_useJIT=0
      backend = koffiBackend();
    }
    real = createLibcSys(backend);
  }
  return real;
}
