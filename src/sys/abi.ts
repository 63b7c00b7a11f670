// The libc functions tsrunc calls, declared once for both FFIs (ffi.ts: Bun's own, koffi.ts:
// koffi). Arguments are plain: integers, C strings, and byte buffers whose address is passed;
// structs are laid out by hand in buffers (libc.ts), so both FFIs marshal the same few kinds.
// x86_64 only, like the struct layouts in libc.ts.

/**
 * i32/u32/i64/u64: integers (number or bigint); str: a JS string (NUL-terminated for the call) or
 * null; buf: a Uint8Array whose memory the call reads or fills, or null; strv: a NULL-terminated
 * char *[] made from a string array; ptr (returns only): an address as a bigint, 0n for NULL.
 */
export type CType = "i32" | "u32" | "i64" | "u64" | "str" | "buf" | "strv" | "ptr" | "void";
export type CArg = number | bigint | string | Uint8Array | string[] | null;

// [return, args]: variadic functions (syscall, open, fcntl, ioctl) are declared with the argument
// types tsrunc passes; on x86_64 a variadic callee reads those from the same registers
export const LIBC = {
  fork: ["i32", []],
  syscall: ["i64", ["i64", "u64", "u64", "u64", "u64", "u64"]],
  _exit: ["void", ["i32"]],
  waitpid: ["i32", ["i32", "buf", "i32"]],
  kill: ["i32", ["i32", "i32"]],
  poll: ["i32", ["buf", "u64", "i32"]],
  getpid: ["i32", []],
  madvise: ["i32", ["u64", "u64", "i32"]],
  unshare: ["i32", ["i32"]],
  setns: ["i32", ["i32", "i32"]],
  sethostname: ["i32", ["str", "u64"]],
  setdomainname: ["i32", ["str", "u64"]],
  mount: ["i32", ["str", "str", "str", "u64", "str"]],
  umount2: ["i32", ["str", "i32"]],
  chdir: ["i32", ["str"]],
  fchdir: ["i32", ["i32"]],
  chroot: ["i32", ["str"]],
  open: ["i32", ["str", "i32", "u32"]],
  close: ["i32", ["i32"]],
  rename: ["i32", ["str", "str"]],
  unlink: ["i32", ["str"]],
  access: ["i32", ["str", "i32"]],
  rmdir: ["i32", ["str"]],
  read: ["i64", ["i32", "buf", "u64"]],
  write: ["i64", ["i32", "buf", "u64"]],
  mkdirat: ["i32", ["i32", "str", "u32"]],
  mknodat: ["i32", ["i32", "str", "u32", "u64"]],
  fchownat: ["i32", ["i32", "str", "u32", "u32", "i32"]],
  symlinkat: ["i32", ["str", "i32", "str"]],
  fcntl: ["i32", ["i32", "i32", "i64"]],
  flock: ["i32", ["i32", "i32"]],
  umask: ["u32", ["u32"]],
  socketpair: ["i32", ["i32", "i32", "i32", "buf"]],
  socket: ["i32", ["i32", "i32", "i32"]],
  pipe2: ["i32", ["buf", "i32"]],
  dup2: ["i32", ["i32", "i32"]],
  setsid: ["i32", []],
  personality: ["i32", ["u64"]],
  sched_setaffinity: ["i32", ["i32", "u64", "buf"]],
  connect: ["i32", ["i32", "buf", "u32"]],
  sendmsg: ["i64", ["i32", "buf", "i32"]],
  recvmsg: ["i64", ["i32", "buf", "i32"]],
  ioctl: ["i32", ["i32", "u64", "u64"]],
  execve: ["i32", ["str", "strv", "strv"]],
  dlsym: ["ptr", ["u64", "str"]],
  sigaction: ["i32", ["i32", "buf", "buf"]],
  posix_spawn: ["i32", ["buf", "str", "u64", "u64", "strv", "u64"]],
  setenv: ["i32", ["str", "str", "i32"]],
  unsetenv: ["i32", ["str"]],
  getenv: ["ptr", ["str"]],
  memcpy: ["u64", ["buf", "u64", "u64"]],
  setgroups: ["i32", ["u64", "buf"]],
  setresuid: ["i32", ["u32", "u32", "u32"]],
  setresgid: ["i32", ["u32", "u32", "u32"]],
  prctl: ["i32", ["i32", "u64", "u64", "u64", "u64"]],
  prlimit: ["i32", ["i32", "i32", "buf", "buf"]],
  fstatfs: ["i32", ["i32", "buf"]],
  fopen: ["ptr", ["str", "str"]],
  fputs: ["i32", ["str", "u64"]],
  pthread_create: ["i32", ["buf", "u64", "u64", "u64"]],
  pthread_detach: ["i32", ["u64"]],
} as const satisfies Record<string, readonly [CType, readonly CType[]]>;

export type CName = keyof typeof LIBC;

/** what libc.ts needs from an FFI */
export interface Backend {
  /** which FFI this is, for --debug */
  name: string;
  /** the function, bound on its first call */
  fn(name: CName): (...args: CArg[]) => number | bigint;
  /**
   * One call with its arguments converted beforehand: running it allocates nothing and runs no
   * JS but a fresh closure (which the engine does not compile), for a window where the engine
   * must not start a thread (libc.ts: posixSpawn into a new pid namespace).
   */
  prepare(name: CName, args: CArg[]): () => number | bigint;
  /** errno of the last failed call on this thread */
  errno(): number;
  /** the address of a buffer's memory, for structs that point at other buffers */
  address(buf: Uint8Array): bigint;
}

export type CFn = (...args: CArg[]) => number | bigint;

/** a backend's fn(): each function made once, at its first use */
export function bindOnce(make: (name: CName) => CFn): (name: CName) => CFn {
  const bound = new Map<CName, CFn>();
  return (name) => {
    let f = bound.get(name);
    if (!f) bound.set(name, (f = make(name)));
    return f;
  };
}
