// The Sys of the real kernel, over one of two FFIs (abi.ts): structs are laid out here, by hand,
// for x86_64, so both FFIs only pass integers, strings and buffers.
import { SysError } from "../errors";
import { CLONE, SIGCHLD, mountFlagNames } from "./constants";
import type { Sys, MountSetattr } from "./index";
import { LIBC, type Backend, type CArg, type CName } from "./abi";
import { bytes, cBytes } from "./bytes";
import { map } from "./arrays";

const SYS_fstat = 5, SYS_newfstatat = 262, SYS_rt_sigaction = 13, SYS_pivot_root = 155, SYS_capget = 125, SYS_capset = 126, SYS_clone = 56;
const SYS_bpf = 321, BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8, BPF_PROG_DETACH = 9, BPF_PROG_GET_FD_BY_ID = 13, BPF_PROG_QUERY = 16;
const SYS_ioprio_set = 251, SYS_sched_setattr = 314, SYS_set_mempolicy = 238;
const SYS_open_tree = 428, SYS_move_mount = 429;
const SYS_pidfd_send_signal = 424, SYS_pidfd_open = 434, SYS_close_range = 436, SYS_openat2 = 437, SYS_mount_setattr = 442, SYS_keyctl = 250;
const KEYCTL_JOIN_SESSION_KEYRING = 1, KEYCTL_SETPERM = 5, KEYCTL_DESCRIBE = 6;
const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
const O_RDONLY_CLOEXEC = 0o2000000;

export function createLibcSys(ffi: Backend): Sys {
  // each function bound at its first use, then an own property of c: a Proxy as c's prototype is
  // asked only for a name c does not have yet. A Proxy as c itself would trap every call (costly in
  // the init engine's interpreter), and a getter per name cost ~0.25 ms to define in each process.
  const binder = new Proxy({}, {
    get(_t, name, receiver: object) {
      if (typeof name !== "string" || !(name in LIBC)) return undefined;
      const f = ffi.fn(name as CName);
      Object.defineProperty(receiver, name, { value: f });
      return f;
    },
  });
  const c = Object.create(binder) as Record<CName, (...a: CArg[]) => number | bigint>;
  const errno = (): number => ffi.errno();
  /** libc convention: -1 and errno set means failure */
  function check(r: number | bigint, syscall: string, detail = ""): number {
    if (Number(r) === -1) throw new SysError(syscall, errno(), detail);
    return Number(r);
  }
  const q = (s: string) => JSON.stringify(s);
  const cstr = cBytes;
  const addr = (b: Uint8Array | null) => (b ? ffi.address(b) : 0n);
  type SysArg = number | bigint | string | Uint8Array | null | undefined;
  const asBuf = (a: SysArg) => (typeof a === "string" ? cstr(a) : a);
  const word = (a: SysArg | Buffer) => (a === undefined || a === null ? 0 : typeof a === "object" ? addr(a) : typeof a === "number" && a >= 0 ? a : BigInt.asUintN(64, BigInt(a as number | bigint)));
  /** syscall(2) with buffers passed by address; strings become NUL-terminated buffers */
  const sys6 = (nr: number, a0?: SysArg, a1?: SysArg, a2?: SysArg, a3?: SysArg, a4?: SysArg) => {
    const b0 = asBuf(a0), b1 = asBuf(a1), b2 = asBuf(a2), b3 = asBuf(a3), b4 = asBuf(a4);
    const r = c.syscall(nr, word(b0), word(b1), word(b2), word(b3), word(b4));
    void [b0, b1, b2, b3, b4]; // referenced until the call returned
    return r;
  };
  const u64 = (...v: (number | bigint)[]) => {
    const b = Buffer.alloc(v.length * 8);
    for (let i = 0; i < v.length; i++) b.writeBigUInt64LE(BigInt(v[i]), i * 8);
    return b;
  };
  /** struct msghdr with one iovec and a control buffer (x86_64: 56 bytes) */
  const msghdr = (data: Buffer, ctl: Buffer) => {
    const iov = u64(addr(data), data.length);
    const m = u64(0, 0, addr(iov), 1, addr(ctl), ctl.length, 0);
    return { m, iov };
  };
  /** struct stat (x86_64, 144 bytes): st_dev at 0, st_ino at 8, st_mode at 24, st_rdev at 40 */
  const statInto = (call: (st: Buffer) => void) => {
    const st = Buffer.alloc(144);
    call(st);
    return { mode: st.readUInt32LE(24), rdev: Number(st.readBigUInt64LE(40)), dev: Number(st.readBigUInt64LE(0)), ino: Number(st.readBigUInt64LE(8)) };
  };
  const statAt = (path: string, flags: number, what: string) =>
    statInto((st) => check(sys6(SYS_newfstatat, -100 /* AT_FDCWD */, path, st, flags), what, q(path)));
  /**
   * A libc function of one argument as the start routine of a detached thread, so no JS runs
   * there: pthread_create's result (0, or the error number)
   */
  const libcThread = (fn: string, arg: number | bigint) => {
    const tid = Buffer.alloc(8);
    const r = Number(c.pthread_create(tid, 0, c.dlsym(0, fn), arg));
    if (r === 0) c.pthread_detach(tid.readBigUInt64LE(0));
    return r;
  };
  const bpf = (cmd: number, attr: Buffer, what: string) => check(sys6(SYS_bpf, cmd, attr, attr.length), "bpf", what);

  const sys: Sys = {
    fork: () => check(c.fork(), "fork"),
    cloneParent: () => check(sys6(SYS_clone, CLONE.PARENT | SIGCHLD, 0, 0, 0, 0), "clone", "(CLONE_PARENT)"),
    exit(code: number): never { c._exit(code); throw new Error("unreachable"); },
    waitpid(pid, flags) {
      const st = Buffer.alloc(4);
      const r = check(c.waitpid(pid, st, flags), "waitpid", String(pid));
      return { pid: r, status: st.readInt32LE(0) };
    },
    kill: (pid, sig) => void check(c.kill(pid, sig), "kill", `pid ${pid} signal ${sig}`),
    pidfdOpen: (pid) => check(sys6(SYS_pidfd_open, pid, 0), "pidfd_open", `pid ${pid}`),
    pidfdSendSignal: (pidfd, sig) => void check(sys6(SYS_pidfd_send_signal, pidfd, sig, 0, 0), "pidfd_send_signal", `signal ${sig}`),
    waitReadable(fd, timeoutMs) {
      const pfd = Buffer.alloc(8); // struct pollfd { int fd; short events, revents; }
      pfd.writeInt32LE(fd, 0);
      pfd.writeInt16LE(1 /* POLLIN */, 4);
      const r = Number(c.poll(pfd, 1, timeoutMs));
      if (r < 0 && errno() === 4 /* EINTR: the caller may have signals to handle */) return false;
      return check(r, "poll", `fd ${fd}`) > 0;
    },
    getpid: () => Number(c.getpid()),
    madvise: (a, len, advice) => Number(c.madvise(a, len, advice)),

    unshare: (flags) => void check(c.unshare(flags), "unshare", `(0x${flags.toString(16)})`),
    setns: (fd, nstype) => void check(c.setns(fd, nstype), "setns", `(0x${nstype.toString(16)})`),
    sethostname: (name) => void check(c.sethostname(name, Buffer.byteLength(name)), "sethostname", q(name)),
    setdomainname: (name) => void check(c.setdomainname(name, Buffer.byteLength(name)), "setdomainname", q(name)),

    mount(source, target, fstype, flags, data) {
      if (Number(c.mount(source, target, fstype, flags, data)) === -1) {
        throw new SysError("mount", errno(), `${q(source ?? "")} on ${q(target)}${fstype ? ` type ${fstype}` : ""} (flags ${mountFlagNames(flags)}${data ? `, data ${q(data)}` : ""})`);
      }
    },
    umount2: (target, flags) => void check(c.umount2(target, flags), "umount2", q(target)),
    pivotRoot: (n, o) => void check(sys6(SYS_pivot_root, n, o), "pivot_root", `${q(n)} ${q(o)}`),
    mountSetattr(dirfd, path, flags, a: MountSetattr) {
      check(sys6(SYS_mount_setattr, dirfd, path, flags, u64(a.attrSet, a.attrClr, a.propagation, a.usernsFd), 32), "mount_setattr", q(path));
    },
    openTree: (dirfd, path, flags) => check(sys6(SYS_open_tree, dirfd, path, flags), "open_tree", q(path)),
    // MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS: `to` may be a /proc/self/fd link
    moveMount: (fromFd, to) => void check(sys6(SYS_move_mount, fromFd, "", -100, to, 0x4 | 0x10), "move_mount", q(to)),
    chdir: (p) => void check(c.chdir(p), "chdir", q(p)),
    fchdir: (fd) => void check(c.fchdir(fd), "fchdir", String(fd)),
    chroot: (p) => void check(c.chroot(p), "chroot", q(p)),

    open: (p, flags, mode) => check(c.open(p, flags, mode), "open", q(p)),
    openat2: (dirfd, path, flags, mode, resolve) => check(sys6(SYS_openat2, dirfd, path, u64(flags, mode, resolve), 24), "openat2", q(path)),
    close: (fd) => void check(c.close(fd), "close", String(fd)),
    closeRange: (first, last, flags) => void check(sys6(SYS_close_range, first, last, flags), "close_range", `${first}-${last}`),
    read: (fd, buf) => check(c.read(fd, buf, buf.length), "read", String(fd)),
    unlink: (p) => void check(c.unlink(p), "unlink", q(p)),
    rmdir: (p) => void check(c.rmdir(p), "rmdir", q(p)),
    rename: (from, to) => void check(c.rename(from, to), "rename", `${q(from)} -> ${q(to)}`),
    write: (fd, data) => check(c.write(fd, data, data.length), "write", String(fd)),
    writeInBackground(path, data) {
      // fclose(3) takes one pointer and returns an int in a register: a valid thread start routine
      // on x86_64, so a plain libc thread does the blocking write(2) and no JS runs there
      const fp = c.fopen(path, "r+e"); // an existing file only (O_RDWR|O_CLOEXEC, no O_CREAT)
      if (!fp) throw new SysError("fopen", errno(), q(path));
      c.fputs(data, fp);
      const r = libcThread("fclose", fp);
      if (r !== 0) throw new SysError("pthread_create", r);
    },
    closeInBackground(fd) {
      // close(2) takes one int, in the register a thread start routine gets its argument in
      if (libcThread("close", fd) !== 0) c.close(fd);
    },
    mkdirat: (dirfd, p, mode) => void check(c.mkdirat(dirfd, p, mode), "mkdirat", q(p)),
    mknodat: (dirfd, p, mode, dev) => void check(c.mknodat(dirfd, p, mode, dev), "mknod", q(p)),
    fchownat: (dirfd, p, uid, gid, flags) => void check(c.fchownat(dirfd, p, uid, gid, flags), "chown", q(p)),
    symlinkat: (target, dirfd, p) => void check(c.symlinkat(target, dirfd, p), "symlink", `${q(p)} -> ${q(target)}`),
    fcntl: (fd, cmd, arg) => check(c.fcntl(fd, cmd, arg), "fcntl", String(fd)),
    flock: (fd, op) => void check(c.flock(fd, op), "flock", String(fd)),
    umask: (m) => Number(c.umask(m)),
    socketpair() {
      const b = Buffer.alloc(8);
      check(c.socketpair(1 /* AF_UNIX */, 1 | 0o2000000 /* SOCK_STREAM|SOCK_CLOEXEC */, 0, b), "socketpair");
      return [b.readInt32LE(0), b.readInt32LE(4)];
    },
    socket: (d, t, p) => check(c.socket(d, t, p), "socket"),
    pipe() {
      const b = Buffer.alloc(8);
      check(c.pipe2(b, 0o2000000), "pipe2");
      return [b.readInt32LE(0), b.readInt32LE(4)];
    },
    dup2: (o, n) => void check(c.dup2(o, n), "dup2", `${o} -> ${n}`),
    ioctlInt: (fd, req, arg) => check(c.ioctl(fd, req, arg), "ioctl", `0x${req.toString(16)}`),
    ioctl: (fd, req, arg) => void check(c.ioctl(fd, req, addr(arg)), "ioctl", `0x${req.toString(16)}`),
    setsid: () => check(c.setsid(), "setsid"),
    // union bpf_attr, the parts each command reads (the kernel accepts a shorter attr)
    bpfProgLoad(progType, insns, license, log) {
      const lic = cstr(license);
      const attr = Buffer.alloc(48);
      attr.writeUInt32LE(progType, 0); attr.writeUInt32LE(insns.length / 8, 4); attr.writeBigUInt64LE(addr(insns), 8);
      attr.writeBigUInt64LE(addr(lic), 16); attr.writeUInt32LE(log ? 1 : 0, 24); attr.writeUInt32LE(log ? log.length : 0, 28);
      attr.writeBigUInt64LE(addr(log ?? null), 32);
      return bpf(BPF_PROG_LOAD, attr, "(BPF_PROG_LOAD)");
    },
    bpfProgQuery(targetFd, attachType) {
      const ids = Buffer.alloc(4 * 64);
      const attr = Buffer.alloc(32);
      attr.writeUInt32LE(targetFd, 0); attr.writeUInt32LE(attachType, 4); attr.writeBigUInt64LE(addr(ids), 16); attr.writeUInt32LE(64, 24);
      bpf(BPF_PROG_QUERY, attr, "(BPF_PROG_QUERY)");
      return Array.from({ length: attr.readUInt32LE(24) }, (_, i) => ids.readUInt32LE(i * 4));
    },
    bpfProgGetFdById(id) {
      const attr = Buffer.alloc(12);
      attr.writeUInt32LE(id, 0);
      return bpf(BPF_PROG_GET_FD_BY_ID, attr, "(BPF_PROG_GET_FD_BY_ID)");
    },
    bpfProgAttach(targetFd, progFd, attachType, flags, replaceFd) {
      const attr = Buffer.alloc(20);
      [targetFd, progFd, attachType, flags, replaceFd ?? 0].forEach((v, i) => attr.writeUInt32LE(v >>> 0, i * 4));
      bpf(BPF_PROG_ATTACH, attr, "(BPF_PROG_ATTACH)");
    },
    bpfProgDetach(targetFd, progFd, attachType) {
      const attr = Buffer.alloc(20);
      [targetFd, progFd, attachType].forEach((v, i) => attr.writeUInt32LE(v >>> 0, i * 4));
      bpf(BPF_PROG_DETACH, attr, "(BPF_PROG_DETACH)");
    },
    schedSetaffinity: (pid, mask) => void check(c.sched_setaffinity(pid, mask.length, mask), "sched_setaffinity"),
    personality(p) {
      if (Number(c.personality(p)) === -1) throw new SysError("personality", errno(), `0x${p.toString(16)}`);
    },
    ioprioSet: (which, who, prio) => void check(sys6(SYS_ioprio_set, which, who, prio), "ioprio_set", String(prio)),
    schedSetattr: (pid, attr) => void check(sys6(SYS_sched_setattr, pid, attr, 0), "sched_setattr"),
    setMempolicy: (mode, mask, maxnode) => void check(sys6(SYS_set_mempolicy, mode, mask, maxnode), "set_mempolicy", `mode ${mode}`),
    connectUnix(path) {
      const fd = check(c.socket(1 /* AF_UNIX */, 1 | 0o2000000, 0), "socket");
      const sa = Buffer.alloc(110);
      sa.writeUInt16LE(1, 0);
      if (Buffer.byteLength(path) > 107) throw new SysError("connect", 36, q(path));
      sa.write(path, 2);
      if (Number(c.connect(fd, sa, 110)) === -1) {
        const e = new SysError("connect", errno(), q(path));
        c.close(fd);
        throw e;
      }
      return fd;
    },
    sendFd(sock, fd, data) {
      const ctl = Buffer.alloc(24); // CMSG_SPACE(sizeof(int)): cmsghdr {len, level, type} + fd + pad
      ctl.writeBigUInt64LE(20n, 0); ctl.writeInt32LE(1 /* SOL_SOCKET */, 8); ctl.writeInt32LE(1 /* SCM_RIGHTS */, 12); ctl.writeInt32LE(fd, 16);
      const d = bytes(data || " ");
      const { m, iov } = msghdr(d, ctl);
      check(c.sendmsg(sock, m, 0), "sendmsg", "(SCM_RIGHTS)");
      void iov;
    },
    recvFd(sock) {
      const d = Buffer.alloc(4096), ctl = Buffer.alloc(24);
      const { m, iov } = msghdr(d, ctl);
      const n = check(c.recvmsg(sock, m, 0x40000000 /* MSG_CMSG_CLOEXEC */), "recvmsg", "(SCM_RIGHTS)");
      void iov;
      if (ctl.readInt32LE(8) !== 1 || ctl.readInt32LE(12) !== 1) throw new SysError("recvmsg", 22, "(no fd in the message)");
      return { fd: ctl.readInt32LE(16), data: d.toString("utf8", 0, n) };
    },

    execve(path, argv, envp): never {
      c.execve(path, argv, envp);
      throw new SysError("execve", errno(), q(path));
    },
    prepareExecve(path, argv, envp) {
      const call = ffi.prepare("execve", [path, argv, envp]);
      return (): never => {
        call();
        throw new SysError("execve", errno(), q(path));
      };
    },
    posixSpawn(path, argv, env, opts) {
      // our own environ with `env` set in it for the call: building a copy through process.env
      // costs ~0.4 ms, and this is on create's critical path (engine.ts)
      const keys = Object.keys(env);
      const saved = map(keys, (k) => (c.getenv(k) ? process.env[k] : undefined));
      let nsFd = -1;
      try {
        for (const k of keys) check(c.setenv(k, env[k], 1), "setenv", k);
        const environ = Buffer.alloc(8);
        c.memcpy(environ, c.dlsym(0, "environ"), 8);
        const pid = Buffer.alloc(4);
        const spawn = ffi.prepare("posix_spawn", [pid, path, 0, 0, argv, environ.readBigUInt64LE(0)]);
        let r: number;
        if (opts?.newPidNs) {
          // where this thread's children go: restored right after the spawn
          nsFd = check(c.open("/proc/thread-self/ns/pid_for_children", O_RDONLY_CLOEXEC, 0), "open", "/proc/thread-self/ns/pid_for_children");
          const unshare = ffi.prepare("unshare", [CLONE.NEWPID]), back = ffi.prepare("setns", [nsFd, CLONE.NEWPID]);
          // Until setns, clone(CLONE_THREAD) fails (EINVAL) for this thread: a thread the engine
          // started now (a JIT worker, on its first compile) would abort it. So nothing runs here
          // but three prepared native calls.
          if (Number(unshare()) === -1) throw new SysError("unshare", errno(), "(CLONE_NEWPID)");
          r = Number(spawn());
          if (Number(back()) === -1) {
            // every later child (hooks) would land in the container's pid namespace
            throw new SysError("setns", errno(), "(back to our own pid namespace after spawning the init)");
          }
        } else {
          r = Number(spawn());
        }
        if (r !== 0) throw new SysError("posix_spawn", r, q(path));
        return pid.readInt32LE(0);
      } finally {
        if (nsFd >= 0) c.close(nsFd);
        for (let i = 0; i < keys.length; i++) { if (saved[i] === undefined) c.unsetenv(keys[i]); else c.setenv(keys[i], saved[i]!, 1); }
      }
    },
    exitOnSignals(signals) {
      // glibc's sigaction: it adds the SA_RESTORER trampoline x86_64 needs; the handler is libc's
      // own _exit, which takes the signal number as its status and never returns into the engine
      const act = Buffer.alloc(152); // struct sigaction: handler, sa_mask[128], flags, restorer
      act.writeBigUInt64LE(BigInt(c.dlsym(0, "_exit")), 0);
      for (const sig of signals) check(c.sigaction(sig, act, null), "sigaction", String(sig));
    },
    resetSignals(signals) {
      // rt_sigaction(2) itself: glibc's wrappers refuse its own 32 and 33, which the engine ignores
      const dfl = Buffer.alloc(32); // struct kernel_sigaction: SIG_DFL, no flags, empty mask
      for (const sig of signals) check(sys6(SYS_rt_sigaction, sig, dfl, null, 8), "rt_sigaction", String(sig));
    },
    fstat: (fd) => statInto((st) => check(sys6(SYS_fstat, fd, st), "fstat", String(fd))),
    stat: (path) => statAt(path, 0, "stat"),
    access: (path, mode) => Number(c.access(path, mode)) === 0,
    lstat: (path) => statAt(path, 0x100 /* AT_SYMLINK_NOFOLLOW */, "lstat"),
    setgroups(gids) { check(c.setgroups(gids.length, gids.length ? new Uint8Array(new Uint32Array(gids).buffer) : null), "setgroups", gids.join(",")); },
    setresuid: (uid) => void check(c.setresuid(uid, uid, uid), "setresuid", String(uid)),
    setresgid: (gid) => void check(c.setresgid(gid, gid, gid), "setresgid", String(gid)),
    prctl: (o, a2, a3 = 0, a4 = 0, a5 = 0) => check(c.prctl(o, a2, a3, a4, a5), "prctl", String(o)),
    capget() {
      const hdr = Buffer.alloc(8); hdr.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, 0);
      const data = Buffer.alloc(24);
      check(sys6(SYS_capget, hdr, data), "capget");
      const get = (off: number) => BigInt(data.readUInt32LE(off)) | (BigInt(data.readUInt32LE(off + 12)) << 32n);
      return { effective: get(0), permitted: get(4), inheritable: get(8) };
    },
    capset(caps) {
      const hdr = Buffer.alloc(8); hdr.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, 0);
      const data = Buffer.alloc(24);
      const put = (off: number, v: bigint) => {
        data.writeUInt32LE(Number(v & 0xffffffffn), off); data.writeUInt32LE(Number((v >> 32n) & 0xffffffffn), off + 12);
      };
      put(0, caps.effective); put(4, caps.permitted); put(8, caps.inheritable);
      check(sys6(SYS_capset, hdr, data), "capset");
    },
    prlimit(pid, resource, soft, hard) {
      check(c.prlimit(pid, resource, u64(soft, hard), null), "prlimit", String(resource));
    },
    joinSessionKeyring: (name) => check(sys6(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name), "keyctl", `(join session keyring ${q(name)})`),
    describeKey(id) {
      const b = Buffer.alloc(512);
      const n = check(sys6(SYS_keyctl, KEYCTL_DESCRIBE, id, b, b.length), "keyctl", "(describe)");
      return b.toString("utf8", 0, Math.max(0, Math.min(n, b.length) - 1));
    },
    setKeyPerm: (id, perm) => void check(sys6(SYS_keyctl, KEYCTL_SETPERM, id, perm >>> 0), "keyctl", "(setperm)"),
    fstatfs(fd) {
      const b = Buffer.alloc(120); // struct statfs (x86_64); f_type is the first long
      check(c.fstatfs(fd, b), "fstatfs", String(fd));
      return Number(b.readBigInt64LE(0));
    },
  };
  return sys;
}
