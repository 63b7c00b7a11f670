// libseccomp (Debian's libseccomp2) through koffi, loaded only for containers with a seccomp
// profile. Every failing call throws SysError with the negative errno libseccomp returns.
import { fs } from "../linux/lazy-fs";
import { SysError } from "../errors";

export interface ArgCmp { arg: number; op: number; datumA: bigint; datumB: bigint }

export interface Seccomp {
  version(): string;
  init(defaultAction: number): bigint;
  release(ctx: bigint): void;
  archResolve(name: string): number;
  archAdd(ctx: bigint, arch: number): void;
  syscallResolve(name: string): number;
  ruleAdd(ctx: bigint, action: number, syscall: number, args: ArgCmp[]): void;
  attrSet(ctx: bigint, attr: number, value: number): void;
  load(ctx: bigint): void;
  /** the user-notification fd of a loaded filter with SCMP_ACT_NOTIFY rules */
  notifyFd(ctx: bigint): number;
  /** the context's BPF program (struct sock_filter[]), as seccomp_load would install it */
  exportBpf(ctx: bigint): Buffer;
  /** seccomp(SECCOMP_SET_MODE_FILTER, flags, prog): the listener fd with NEW_LISTENER, else 0 */
  loadBpf(prog: Buffer, flags: number): number;
}

const SYS_seccomp = 317, SECCOMP_SET_MODE_FILTER = 1, MFD_CLOEXEC = 1;

let lib: Seccomp | undefined;

export function seccompLib(): Seccomp {
  if (lib) return lib;
  const koffi = require("../../node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node");
  let so;
  try {
    so = koffi.load("libseccomp.so.2");
  } catch {
    throw new Error("seccomp: libseccomp.so.2 is not installed on this host (apt-get install libseccomp2)");
  }
  const f = (s: string) => so.func(s);
  const c = {
    version: f("const void *seccomp_version()"),
    init: f("uint64 seccomp_init(uint32)"),
    release: f("void seccomp_release(uint64)"),
    archResolve: f("uint32 seccomp_arch_resolve_name(const char *)"),
    archAdd: f("int seccomp_arch_add(uint64, uint32)"),
    syscallResolve: f("int seccomp_syscall_resolve_name(const char *)"),
    ruleAddArray: f("int seccomp_rule_add_array(uint64, uint32, int, uint32, void *)"),
    attrSet: f("int seccomp_attr_set(uint64, int, uint32)"),
    load: f("int seccomp_load(uint64)"),
    notifyFd: f("int seccomp_notify_fd(uint64)"),
    exportBpf: f("int seccomp_export_bpf(uint64, int)"),
  };
  // flags libseccomp 2.5 does not know go to the kernel directly (linux/seccomp.ts)
  const libc = koffi.load("libc.so.6");
  const memfd = libc.func("int memfd_create(const char *, unsigned int)");
  const syscall = libc.func("long syscall(long, ...)");
  const errno = () => koffi.errno() as number;
  koffi.struct("tsrunc_sock_fprog", { len: "uint16", filter: "void *" });
  const check = (r: number, what: string) => { if (r < 0) throw new SysError(what, -r); };
  lib = {
    version() {
      const v = koffi.decode(c.version(), koffi.array("uint32", 3));
      return `${v[0]}.${v[1]}.${v[2]}`;
    },
    init(a) {
      const ctx = BigInt(c.init(a));
      if (ctx === 0n) throw new Error("seccomp_init: failed (bad default action?)");
      return ctx;
    },
    release: (ctx) => c.release(ctx),
    archResolve: (n) => c.archResolve(n),
    archAdd(ctx, arch) {
      const r = c.archAdd(ctx, arch);
      if (r !== -17 /* EEXIST: the native arch is always there */) check(r, "seccomp_arch_add");
    },
    syscallResolve: (n) => c.syscallResolve(n),
    ruleAdd(ctx, action, nr, args) {
      const b = Buffer.alloc(24 * Math.max(1, args.length)); // struct scmp_arg_cmp {u32 arg; u32 op; u64 a; u64 b}
      args.forEach((a, i) => {
        b.writeUInt32LE(a.arg, i * 24); b.writeUInt32LE(a.op, i * 24 + 4);
        b.writeBigUInt64LE(a.datumA, i * 24 + 8); b.writeBigUInt64LE(a.datumB, i * 24 + 16);
      });
      check(c.ruleAddArray(ctx, action, nr, args.length, args.length ? b : null), "seccomp_rule_add");
    },
    attrSet: (ctx, attr, v) => check(c.attrSet(ctx, attr, v), "seccomp_attr_set"),
    load: (ctx) => check(c.load(ctx), "seccomp_load"),
    notifyFd(ctx) {
      const fd = c.notifyFd(ctx);
      check(fd, "seccomp_notify_fd");
      return fd;
    },
    exportBpf(ctx) {
      const fd = memfd("tsrunc-seccomp", MFD_CLOEXEC);
      if (fd < 0) throw new SysError("memfd_create", errno());
      try {
        check(c.exportBpf(ctx, fd), "seccomp_export_bpf");
        const size = fs.fstatSync(fd).size;
        const prog = Buffer.alloc(size);
        for (let off = 0; off < size; ) off += fs.readSync(fd, prog, off, size - off, off);
        return prog;
      } finally {
        fs.closeSync(fd);
      }
    },
    loadBpf(prog, flags) {
      const r = Number(syscall(SYS_seccomp, "int", SECCOMP_SET_MODE_FILTER, "unsigned int", flags, "tsrunc_sock_fprog *", { len: prog.length / 8, filter: prog }));
      if (r < 0) throw new SysError("seccomp", errno(), `(SECCOMP_SET_MODE_FILTER, flags 0x${flags.toString(16)})`);
      return r;
    },
  };
  return lib;
}
