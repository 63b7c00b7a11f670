// The calls of the parent processes, bound with Bun's own FFI: koffi's load (its addon and
// libstdc++) costs 2-3 ms here, binding these symbols ~0.3 ms. They prime the cgroup grace period
// and start the init engine (linux/engine.ts) first thing in create, run and exec; they are all
// that create and run need for a plain container (waitpid reaps stage 1 and PID 1), and all that
// start, kill and delete need, so those never load koffi. Every other call, and everything the
// init engine does (it runs without the JIT, which bun:ffi requires), stays on koffi (libc.ts).
import type * as BunFFI from "bun:ffi";
import { SysError } from "../errors";
import type { Sys, MountSetattr } from "./index";

export type QuickSys = Pick<Sys, "socketpair" | "openTree" | "mountSetattr" | "fcntl" | "prctl" | "posixSpawn" | "close" | "open" | "read" | "writeInBackground" | "flock" | "kill" | "mknodat" | "waitpid">;

export const QUICK_CALLS: readonly (keyof Sys)[] = ["socketpair", "openTree", "mountSetattr", "fcntl", "prctl", "posixSpawn", "close", "open", "read", "writeInBackground", "flock", "kill", "mknodat", "waitpid"];

const SYS_open_tree = 428, SYS_mount_setattr = 442;

let bound: QuickSys | undefined;

export function quickSys(): QuickSys {
  if (!bound) {
    try {
      bound = bind();
    } catch {
      // bun:ffi needs the JIT ("bun:ffi requires the JIT" under BUN_JSC_useJIT=0): koffi then
      bound = (require("./index") as typeof import("./index")).realSys();
    }
  }
  return bound;
}

function bind(): QuickSys {
  // loaded here, not at the top: --version, state and the other verbs that need none of this skip it
  const { dlopen, FFIType, ptr, read } = require("bun:ffi") as typeof BunFFI;
  const { i32, u32, i64, u64, ptr: P } = FFIType;
  const { symbols: c } = dlopen("libc.so.6", {
    socketpair: { args: [i32, i32, i32, P], returns: i32 },
    syscall: { args: [i64, i64, i64, u64, u64, u64], returns: i64 },
    fcntl: { args: [i32, i32, i64], returns: i32 },
    prctl: { args: [i32, u64, u64, u64, u64], returns: i32 },
    posix_spawn: { args: [P, P, P, P, P, P], returns: i32 },
    close: { args: [i32], returns: i32 },
    open: { args: [P, i32, u32], returns: i32 },
    read: { args: [i32, P, u64], returns: i64 },
    fopen: { args: [P, P], returns: P },
    fputs: { args: [P, P], returns: i32 },
    pthread_create: { args: [P, P, P, P], returns: i32 },
    pthread_detach: { args: [u64], returns: i32 },
    dlsym: { args: [P, P], returns: P },
    flock: { args: [i32, i32], returns: i32 },
    kill: { args: [i32, i32], returns: i32 },
    waitpid: { args: [i32, P, i32], returns: i32 },
    mknodat: { args: [i32, P, u32, u64], returns: i32 },
    __errno_location: { args: [], returns: P },
  });
  const errno = () => read.i32(c.__errno_location()!, 0);
  const check = (r: number | bigint, call: string, detail = ""): number => {
    if (Number(r) === -1) throw new SysError(call, errno(), detail);
    return Number(r);
  };
  const cstr = (s: string) => Buffer.from(s + "\0");
  /** a NULL-terminated char *[]; the returned buffers must stay referenced until the call */
  const cstrs = (list: string[]) => {
    const bufs = list.map(cstr);
    const arr = new BigUint64Array(bufs.length + 1);
    bufs.forEach((b, i) => { arr[i] = BigInt(ptr(b)); });
    return { bufs, arr };
  };
  return {
    socketpair() {
      const fds = new Int32Array(2);
      check(c.socketpair(1 /* AF_UNIX */, 1 | 0o2000000 /* SOCK_STREAM|SOCK_CLOEXEC */, 0, ptr(fds)), "socketpair");
      return [fds[0], fds[1]];
    },
    openTree(dirfd, path, flags) {
      const p = cstr(path);
      return check(c.syscall(SYS_open_tree, dirfd, BigInt(ptr(p)), BigInt(flags), 0n, 0n), "open_tree", JSON.stringify(path));
    },
    mountSetattr(dirfd, path, flags, a: MountSetattr) {
      const p = cstr(path);
      const b = new BigUint64Array([BigInt(a.attrSet), BigInt(a.attrClr), BigInt(a.propagation), BigInt(a.usernsFd)]);
      check(c.syscall(SYS_mount_setattr, dirfd, BigInt(ptr(p)), BigInt(flags), BigInt(ptr(b)), 32n), "mount_setattr", JSON.stringify(path));
    },
    fcntl: (fd, cmd, arg) => check(c.fcntl(fd, cmd, arg), "fcntl", String(fd)),
    prctl: (o, a2, a3 = 0, a4 = 0, a5 = 0) => check(c.prctl(o, BigInt(a2), BigInt(a3), BigInt(a4), BigInt(a5)), "prctl", String(o)),
    posixSpawn(path, argv, envp) {
      const p = cstr(path), a = cstrs(argv), e = cstrs(envp);
      const pid = new Int32Array(1);
      const r = c.posix_spawn(ptr(pid), ptr(p), null, null, ptr(a.arr), ptr(e.arr));
      if (r !== 0) throw new SysError("posix_spawn", r, JSON.stringify(path));
      void [a.bufs, e.bufs]; // referenced until here
      return pid[0];
    },
    close: (fd) => void check(c.close(fd), "close", String(fd)),
    open(path, flags, mode) {
      const p = cstr(path);
      return check(c.open(ptr(p), flags, mode), "open", JSON.stringify(path));
    },
    read: (fd, buf) => check(c.read(fd, ptr(buf), BigInt(buf.length)), "read", String(fd)),
    writeInBackground(path, data) {
      // fclose(3) takes one pointer and returns an int in a register: it is a valid thread start
      // routine on x86_64, so a plain libc thread does the blocking write(2) and no JS runs there
      const fp = c.fopen(cstr(path), cstr("r+e")); // an existing file only (O_RDWR|O_CLOEXEC, no O_CREAT)
      if (!fp) throw new SysError("fopen", errno(), JSON.stringify(path));
      c.fputs(cstr(data), fp);
      const fclose = c.dlsym(null, cstr("fclose"));
      const tid = new BigUint64Array(1);
      const r = c.pthread_create(ptr(tid), null, fclose, fp);
      if (r !== 0) throw new SysError("pthread_create", r);
      c.pthread_detach(tid[0]);
    },
    flock: (fd, op) => void check(c.flock(fd, op), "flock", String(fd)),
    kill: (pid, sig) => void check(c.kill(pid, sig), "kill", `pid ${pid} signal ${sig}`),
    waitpid(pid, flags) {
      const st = new Int32Array(1);
      const r = check(c.waitpid(pid, ptr(st), flags), "waitpid", String(pid));
      return { pid: r, status: st[0] };
    },
    mknodat(dirfd, path, mode, dev) {
      const p = cstr(path);
      check(c.mknodat(dirfd, ptr(p), mode, BigInt(dev)), "mknod", JSON.stringify(path));
    },
  };
}
