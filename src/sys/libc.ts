// libc through koffi. The native addon is required by its file path (not through koffi's JS
// wrapper, which searches for it at run time and costs 30-40 ms), so `bun build --compile` embeds
// it in the executable.
import { fstatSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { SysError } from "../errors";
import { CLONE, SIGCHLD, mountFlagNames, type Sys, type MountSetattr } from "./index";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const koffi = require("../../node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node");

const SYS_rt_sigaction = 13, SYS_pivot_root = 155, SYS_capget = 125, SYS_capset = 126, SYS_clone = 56;
const SYS_bpf = 321, BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8, BPF_PROG_DETACH = 9, BPF_PROG_GET_FD_BY_ID = 13, BPF_PROG_QUERY = 16;
const SYS_ioprio_set = 251, SYS_sched_setattr = 314, SYS_set_mempolicy = 238;
const SYS_open_tree = 428, SYS_move_mount = 429;
const SYS_openat2 = 437, SYS_mount_setattr = 442, SYS_keyctl = 250;
const KEYCTL_JOIN_SESSION_KEYRING = 1, KEYCTL_SETPERM = 5, KEYCTL_DESCRIBE = 6;
const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

export function createLibcSys(): Sys {
  const libc = koffi.load("libc.so.6");
  // Declared on first use, like the functions below: the init engine's start waits for this
  // object, and declaring ~60 functions and 6 structs up front cost ~0.8 ms there (JIT off).
  let structsDeclared = false;
  const structs = () => {
    if (structsDeclared) return;
    structsDeclared = true;
    // struct msghdr for SCM_RIGHTS (x86_64 layout); koffi marshals Buffers as the pointers
    const iovec = koffi.struct("tsrunc_iovec", { iov_base: "void *", iov_len: "size_t" });
    // the parts of union bpf_attr the device filter needs (the kernel accepts a shorter attr)
    koffi.struct("tsrunc_bpf_load", {
      prog_type: "uint32", insn_cnt: "uint32", insns: "void *", license: "const char *",
      log_level: "uint32", log_size: "uint32", log_buf: "void *", kern_version: "uint32", prog_flags: "uint32",
    });
    koffi.struct("tsrunc_bpf_attach", { target_fd: "uint32", attach_bpf_fd: "uint32", attach_type: "uint32", attach_flags: "uint32", replace_bpf_fd: "uint32" });
    koffi.struct("tsrunc_bpf_query", { target_fd: "uint32", attach_type: "uint32", query_flags: "uint32", attach_flags: "uint32", prog_ids: "void *", prog_cnt: "uint32", pad: "uint32" });
    koffi.struct("tsrunc_bpf_id", { id: "uint32", next_id: "uint32", open_flags: "uint32" });
    koffi.struct("tsrunc_msghdr", {
      msg_name: "void *", msg_namelen: "uint32", msg_iov: koffi.pointer(iovec), msg_iovlen: "size_t",
      msg_control: "void *", msg_controllen: "size_t", msg_flags: "int",
    });
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- koffi's functions are untyped
  type Fn = (...a: any[]) => any;
  const f = (sig: string): Fn => {
    let fn: Fn | undefined;
    return (...a) => {
      if (!fn) {
        if (sig.includes("tsrunc_")) structs();
        fn = libc.func(sig) as Fn;
      }
      return fn(...a);
    };
  };
  const c = {
    fork: f("int fork()"),
    syscall: f("long syscall(long number, ...)"),
    _exit: f("void _exit(int)"),
    waitpid: f("int waitpid(int, void *status, int)"),
    kill: f("int kill(int, int)"),
    getpid: f("int getpid()"),
    madvise: f("int madvise(uint64 addr, uint64 len, int advice)"),
    unshare: f("int unshare(int)"),
    setns: f("int setns(int, int)"),
    sethostname: f("int sethostname(const char *, size_t)"),
    setdomainname: f("int setdomainname(const char *, size_t)"),
    mount: f("int mount(const char *, const char *, const char *, unsigned long, const char *)"),
    umount2: f("int umount2(const char *, int)"),
    chdir: f("int chdir(const char *)"),
    fchdir: f("int fchdir(int)"),
    chroot: f("int chroot(const char *)"),
    open: f("int open(const char *, int, ...)"),
    close: f("int close(int)"),
    read: f("long read(int, void *, size_t)"),
    mkdirat: f("int mkdirat(int, const char *, uint32)"),
    mknodat: f("int mknodat(int, const char *, uint32, uint64)"),
    fchownat: f("int fchownat(int, const char *, uint32, uint32, int)"),
    symlinkat: f("int symlinkat(const char *, int, const char *)"),
    fcntl: f("int fcntl(int, int, ...)"),
    flock: f("int flock(int, int)"),
    umask: f("uint32 umask(uint32)"),
    socketpair: f("int socketpair(int, int, int, void *)"),
    socket: f("int socket(int, int, int)"),
    pipe2: f("int pipe2(void *, int)"),
    dup2: f("int dup2(int, int)"),
    setsid: f("int setsid()"),
    personality: f("int personality(unsigned long)"),
    sched_setaffinity: f("int sched_setaffinity(int, size_t, void *)"),
    connect: f("int connect(int, void *, uint32)"),
    sendmsg: f("long sendmsg(int, const tsrunc_msghdr *, int)"),
    recvmsg: f("long recvmsg(int, tsrunc_msghdr *, int)"),
    ioctl: f("int ioctl(int, unsigned long, ...)"),
    execve: f("int execve(const char *, const char **, const char **)"),
    dlsym: f("uint64 dlsym(void *, const char *)"),
    sigaction: f("int sigaction(int, const void *, void *)"),
    posix_spawn: f("int posix_spawn(_Out_ int *pid, const char *path, void *fa, void *attr, const char **argv, const char **envp)"),
    setgroups: f("int setgroups(size_t, const uint32 *)"),
    setresuid: f("int setresuid(uint32, uint32, uint32)"),
    setresgid: f("int setresgid(uint32, uint32, uint32)"),
    prctl: f("int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)"),
    prlimit: f("int prlimit(int, int, void *, void *)"),
    fstatfs: f("int fstatfs(int, void *)"),
    write: f("long write(int, const void *, size_t)"),
  };
  const errno = (): number => koffi.errno();
  /** libc convention: -1 and errno set means failure */
  function check(r: number | bigint, syscall: string, detail = ""): number {
    if (Number(r) === -1) throw new SysError(syscall, errno(), detail);
    return Number(r);
  }
  const q = (s: string) => JSON.stringify(s);

  const sys: Sys = {
    fork: () => check(c.fork(), "fork"),
    cloneParent: () =>
      check(c.syscall(SYS_clone, "unsigned long", CLONE.PARENT | SIGCHLD, "void *", null, "void *", null, "void *", null, "unsigned long", 0), "clone", "(CLONE_PARENT)"),
    exit(code: number): never { c._exit(code); throw new Error("unreachable"); },
    waitpid(pid, flags) {
      const st = Buffer.alloc(4);
      const r = check(c.waitpid(pid, st, flags), "waitpid", String(pid));
      return { pid: r, status: st.readInt32LE(0) };
    },
    kill: (pid, sig) => void check(c.kill(pid, sig), "kill", `pid ${pid} signal ${sig}`),
    getpid: () => c.getpid(),
    madvise: (addr, len, advice) => c.madvise(addr, len, advice),

    unshare: (flags) => void check(c.unshare(flags), "unshare", `(0x${flags.toString(16)})`),
    setns: (fd, nstype) => void check(c.setns(fd, nstype), "setns", `(0x${nstype.toString(16)})`),
    sethostname: (name) => void check(c.sethostname(name, Buffer.byteLength(name)), "sethostname", q(name)),
    setdomainname: (name) => void check(c.setdomainname(name, Buffer.byteLength(name)), "setdomainname", q(name)),

    mount(source, target, fstype, flags, data) {
      if (c.mount(source, target, fstype, flags, data) === -1) {
        throw new SysError("mount", errno(), `${q(source ?? "")} on ${q(target)}${fstype ? ` type ${fstype}` : ""} (flags ${mountFlagNames(flags)}${data ? `, data ${q(data)}` : ""})`);
      }
    },
    umount2: (target, flags) => void check(c.umount2(target, flags), "umount2", q(target)),
    pivotRoot: (n, o) => void check(c.syscall(SYS_pivot_root, "const char *", n, "const char *", o), "pivot_root", `${q(n)} ${q(o)}`),
    mountSetattr(dirfd, path, flags, a: MountSetattr) {
      const b = Buffer.alloc(32);
      b.writeBigUInt64LE(BigInt(a.attrSet), 0); b.writeBigUInt64LE(BigInt(a.attrClr), 8);
      b.writeBigUInt64LE(BigInt(a.propagation), 16); b.writeBigUInt64LE(BigInt(a.usernsFd), 24);
      check(c.syscall(SYS_mount_setattr, "int", dirfd, "const char *", path, "unsigned int", flags, "void *", b, "size_t", 32), "mount_setattr", q(path));
    },
    openTree: (dirfd, path, flags) => check(c.syscall(SYS_open_tree, "int", dirfd, "const char *", path, "unsigned int", flags), "open_tree", q(path)),
    moveMount: (fromFd, to) => void check(c.syscall(SYS_move_mount, "int", fromFd, "const char *", "", "int", -100, "const char *", to, "unsigned int", 0x4 | 0x10 /* MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS: to may be a /proc/self/fd link */), "move_mount", q(to)),
    chdir: (p) => void check(c.chdir(p), "chdir", q(p)),
    fchdir: (fd) => void check(c.fchdir(fd), "fchdir", String(fd)),
    chroot: (p) => void check(c.chroot(p), "chroot", q(p)),

    open: (p, flags, mode) => check(c.open(p, flags, "uint32", mode), "open", q(p)),
    openat2(dirfd, path, flags, mode, resolve) {
      const how = Buffer.alloc(24);
      how.writeBigUInt64LE(BigInt(flags), 0); how.writeBigUInt64LE(BigInt(mode), 8); how.writeBigUInt64LE(BigInt(resolve), 16);
      return check(c.syscall(SYS_openat2, "int", dirfd, "const char *", path, "void *", how, "size_t", 24), "openat2", q(path));
    },
    close: (fd) => void check(c.close(fd), "close", String(fd)),
    read: (fd, buf) => check(c.read(fd, buf, buf.length), "read", String(fd)),
    writeInBackground(path, data) {
      // the engine's own thread pool: only for an engine without bun:ffi (quick.ts has a leaner way)
      writeFile(path, data).catch(() => {});
    },
    mkdirat: (dirfd, p, mode) => void check(c.mkdirat(dirfd, p, mode), "mkdirat", q(p)),
    mknodat: (dirfd, p, mode, dev) => void check(c.mknodat(dirfd, p, mode, dev), "mknod", q(p)),
    fchownat: (dirfd, p, uid, gid, flags) => void check(c.fchownat(dirfd, p, uid, gid, flags), "chown", q(p)),
    symlinkat: (target, dirfd, p) => void check(c.symlinkat(target, dirfd, p), "symlink", `${q(p)} -> ${q(target)}`),
    fcntl: (fd, cmd, arg) => check(c.fcntl(fd, cmd, "int", arg), "fcntl", String(fd)),
    flock: (fd, op) => void check(c.flock(fd, op), "flock", String(fd)),
    umask: (m) => c.umask(m),
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
    ioctlInt: (fd, req, arg) => check(c.ioctl(fd, req, "unsigned long", arg), "ioctl", `0x${req.toString(16)}`),
    setsid: () => check(c.setsid(), "setsid"),
    bpfProgLoad(progType, insns, license, log) {
      structs();
      const attr = { prog_type: progType, insn_cnt: insns.length / 8, insns, license, log_level: log ? 1 : 0, log_size: log ? log.length : 0, log_buf: log ?? null, kern_version: 0, prog_flags: 0 };
      return check(c.syscall(SYS_bpf, "int", BPF_PROG_LOAD, "tsrunc_bpf_load *", attr, "uint32", 48), "bpf", "(BPF_PROG_LOAD)");
    },
    bpfProgQuery(targetFd, attachType) {
      structs();
      const ids = Buffer.alloc(4 * 64);
      const attr = { target_fd: targetFd, attach_type: attachType, query_flags: 0, attach_flags: 0, prog_ids: ids, prog_cnt: 64, pad: 0 };
      check(c.syscall(SYS_bpf, "int", BPF_PROG_QUERY, "_Inout_ tsrunc_bpf_query *", attr, "uint32", 32), "bpf", "(BPF_PROG_QUERY)");
      return Array.from({ length: attr.prog_cnt }, (_, i) => ids.readUInt32LE(i * 4));
    },
    bpfProgGetFdById: (id) => (structs(), check(c.syscall(SYS_bpf, "int", BPF_PROG_GET_FD_BY_ID, "tsrunc_bpf_id *", { id, next_id: 0, open_flags: 0 }, "uint32", 12), "bpf", "(BPF_PROG_GET_FD_BY_ID)")),
    bpfProgAttach(targetFd, progFd, attachType, flags, replaceFd) {
      structs();
      const attr = { target_fd: targetFd, attach_bpf_fd: progFd, attach_type: attachType, attach_flags: flags, replace_bpf_fd: replaceFd ?? 0 };
      check(c.syscall(SYS_bpf, "int", BPF_PROG_ATTACH, "tsrunc_bpf_attach *", attr, "uint32", 20), "bpf", "(BPF_PROG_ATTACH)");
    },
    bpfProgDetach(targetFd, progFd, attachType) {
      structs();
      const attr = { target_fd: targetFd, attach_bpf_fd: progFd, attach_type: attachType, attach_flags: 0, replace_bpf_fd: 0 };
      check(c.syscall(SYS_bpf, "int", BPF_PROG_DETACH, "tsrunc_bpf_attach *", attr, "uint32", 20), "bpf", "(BPF_PROG_DETACH)");
    },
    schedSetaffinity: (pid, mask) => void check(c.sched_setaffinity(pid, mask.length, mask), "sched_setaffinity"),
    personality(p) {
      if (c.personality(p) === -1) throw new SysError("personality", errno(), `0x${p.toString(16)}`);
    },
    ioprioSet: (which, who, prio) => void check(c.syscall(SYS_ioprio_set, "int", which, "int", who, "int", prio), "ioprio_set", String(prio)),
    schedSetattr: (pid, attr) => void check(c.syscall(SYS_sched_setattr, "int", pid, "void *", attr, "unsigned int", 0), "sched_setattr"),
    setMempolicy: (mode, mask, maxnode) => void check(c.syscall(SYS_set_mempolicy, "int", mode, "void *", mask, "unsigned long", maxnode), "set_mempolicy", `mode ${mode}`),
    connectUnix(path) {
      const fd = check(c.socket(1 /* AF_UNIX */, 1 | 0o2000000, 0), "socket");
      const addr = Buffer.alloc(110);
      addr.writeUInt16LE(1, 0);
      if (Buffer.byteLength(path) > 107) throw new SysError("connect", 36, q(path));
      addr.write(path, 2);
      if (c.connect(fd, addr, 110) === -1) {
        const e = new SysError("connect", errno(), q(path));
        c.close(fd);
        throw e;
      }
      return fd;
    },
    sendFd(sock, fd, data) {
      structs();
      const ctl = Buffer.alloc(24); // CMSG_SPACE(sizeof(int)): cmsghdr {len, level, type} + fd + pad
      ctl.writeBigUInt64LE(20n, 0); ctl.writeInt32LE(1 /* SOL_SOCKET */, 8); ctl.writeInt32LE(1 /* SCM_RIGHTS */, 12); ctl.writeInt32LE(fd, 16);
      const d = Buffer.from(data || " ");
      check(c.sendmsg(sock, { msg_name: null, msg_namelen: 0, msg_iov: [{ iov_base: d, iov_len: d.length }], msg_iovlen: 1, msg_control: ctl, msg_controllen: 24, msg_flags: 0 }, 0), "sendmsg", "(SCM_RIGHTS)");
    },
    recvFd(sock) {
      structs();
      const d = Buffer.alloc(4096), ctl = Buffer.alloc(24);
      const n = check(c.recvmsg(sock, { msg_name: null, msg_namelen: 0, msg_iov: [{ iov_base: d, iov_len: d.length }], msg_iovlen: 1, msg_control: ctl, msg_controllen: 24, msg_flags: 0 }, 0x40000000 /* MSG_CMSG_CLOEXEC */), "recvmsg", "(SCM_RIGHTS)");
      if (ctl.readInt32LE(8) !== 1 || ctl.readInt32LE(12) !== 1) throw new SysError("recvmsg", 22, "(no fd in the message)");
      return { fd: ctl.readInt32LE(16), data: d.toString("utf8", 0, n) };
    },
    ioctl: (fd, req, arg) => void check(c.ioctl(fd, req, "void *", arg), "ioctl", `0x${req.toString(16)}`),

    execve(path, argv, envp): never {
      c.execve(path, [...argv, null], [...envp, null]);
      throw new SysError("execve", errno(), q(path));
    },
    posixSpawn(path, argv, envp) {
      const pid = [0];
      const r = c.posix_spawn(pid, path, null, null, [...argv, null], [...envp, null]);
      if (r !== 0) throw new SysError("posix_spawn", r, q(path));
      return pid[0];
    },
    exitOnSignals(signals) {
      // glibc's sigaction: it adds the SA_RESTORER trampoline x86_64 needs; the handler is libc's
      // own _exit, which takes the signal number as its status and never returns into the engine
      const act = Buffer.alloc(152); // struct sigaction: handler, sa_mask[128], flags, restorer
      act.writeBigUInt64LE(BigInt(c.dlsym(null, "_exit")), 0);
      for (const sig of signals) check(c.sigaction(sig, act, null), "sigaction", String(sig));
    },
    resetSignals(signals) {
      // rt_sigaction(2) itself: glibc's wrappers refuse its own 32 and 33, which the engine ignores
      const dfl = Buffer.alloc(32); // struct kernel_sigaction: SIG_DFL, no flags, empty mask
      for (const sig of signals) check(c.syscall(SYS_rt_sigaction, "int", sig, "void *", dfl, "void *", null, "size_t", 8), "rt_sigaction", String(sig));
    },
    fstat(fd) {
      const st = fstatSync(fd);
      return { mode: st.mode, rdev: st.rdev };
    },
    setgroups(gids) { check(c.setgroups(gids.length, gids.length ? Uint32Array.from(gids) : null), "setgroups", gids.join(",")); },
    setresuid: (uid) => void check(c.setresuid(uid, uid, uid), "setresuid", String(uid)),
    setresgid: (gid) => void check(c.setresgid(gid, gid, gid), "setresgid", String(gid)),
    prctl: (o, a2, a3 = 0, a4 = 0, a5 = 0) => check(c.prctl(o, a2, a3, a4, a5), "prctl", String(o)),
    capget() {
      const hdr = Buffer.alloc(8); hdr.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, 0);
      const data = Buffer.alloc(24);
      check(c.syscall(SYS_capget, "void *", hdr, "void *", data), "capget");
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
      check(c.syscall(SYS_capset, "void *", hdr, "void *", data), "capset");
    },
    prlimit(pid, resource, soft, hard) {
      const b = Buffer.alloc(16); b.writeBigUInt64LE(soft, 0); b.writeBigUInt64LE(hard, 8);
      check(c.prlimit(pid, resource, b, null), "prlimit", String(resource));
    },
    joinSessionKeyring: (name) => check(c.syscall(SYS_keyctl, "int", KEYCTL_JOIN_SESSION_KEYRING, "const char *", name), "keyctl", `(join session keyring ${q(name)})`),
    describeKey(id) {
      const b = Buffer.alloc(512);
      const n = check(c.syscall(SYS_keyctl, "int", KEYCTL_DESCRIBE, "int", id, "void *", b, "size_t", b.length), "keyctl", "(describe)");
      return b.toString("utf8", 0, Math.max(0, Math.min(n, b.length) - 1));
    },
    setKeyPerm: (id, perm) => void check(c.syscall(SYS_keyctl, "int", KEYCTL_SETPERM, "int", id, "uint32", perm >>> 0), "keyctl", "(setperm)"),
    fstatfs(fd) {
      const b = Buffer.alloc(120); // struct statfs (x86_64); f_type is the first long
      check(c.fstatfs(fd, b), "fstatfs", String(fd));
      return Number(b.readBigInt64LE(0));
    },
    write: (fd, data) => check(c.write(fd, data, data.length), "write", String(fd)),
  };
  return sys;
}
