// A recording test double of the `Sys` interface (STYLE.md §2): every method appends `{op, args}`
// to one ordered list, returns a plausible value, and can be told to fail its next call(s) with
// an errno (a failing mount's error carries the same detail as the real one: source, target,
// type, flags, data). Nothing here touches the kernel.
//
// Files inside a root are modelled only as far as fsroot needs: `absent(...)` marks paths (and
// everything below them) as missing, so openat2 fails with ENOENT for them until mkdirat/mknodat
// creates them through an fd the fake handed out. Paths are relative to the root fd, like the
// ones src/linux/fsroot.ts passes with RESOLVE_IN_ROOT.
import * as fs from "node:fs";
import * as path from "node:path";
import { SysError } from "../src/errors";
import { EEXIST, ENOENT, S_IF, mountFlagNames, type MountSetattr, type Sys, type WaitResult } from "../src/sys";

export type Op = keyof Sys;

export interface Call { op: Op; args: unknown[] }

/** Thrown by the fake's `never` methods (exit, execve) so a test can go on after them. */
export class FakeExit extends Error {
  constructor(readonly op: "exit" | "execve", readonly code?: number) {
    super(`fake ${op}${code === undefined ? "" : ` ${code}`}`);
    this.name = "FakeExit";
  }
}

interface Failure { errno: number; match?: (...args: unknown[]) => boolean }

const ENOKEY = 126;

type Caps = { effective: bigint; permitted: bigint; inheritable: bigint };

/** Copies arrays, Buffers and plain objects so later mutation by the caller cannot rewrite history. */
function snapshot(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return Buffer.from(v);
  if (Array.isArray(v)) return v.map(snapshot);
  if (v && typeof v === "object") return { ...(v as object) };
  return v;
}

function norm(p: string): string {
  return path.posix.normalize(p.replace(/^\/+/, "") || ".").replace(/\/+$/, "") || ".";
}

export class FakeSys implements Sys {
  /** every call, in order, including calls made to fail */
  readonly calls: Call[] = [];
  /** the next fd open/openat2/socket returns */
  nextFd = 100;
  /** what fork() and cloneParent() return */
  forkPid = 1000;
  clonePid = 2000;
  /** what getpid() returns */
  pid = 4242;
  /** what capget() returns; capset() replaces it */
  caps: Caps = { effective: 0n, permitted: 0n, inheritable: 0n };
  /** results waitpid() returns in turn; when empty it reports `{pid, status: 0}` */
  waitResults: WaitResult[] = [];
  /** what prctl() returns (0 unless set) */
  prctlResult = 0;
  /** the serial joinSessionKeyring() returns, and the keys describeKey() knows ("type;uid;gid;perm;description") */
  keySerial = 500;
  keys = new Map<number, string>();
  /** what fstatfs() reports for an fd: its entry here, else procfs (0x9fa0) */
  fsTypes = new Map<number, number>();
  /** what fstat() reports for an fd: its entry here, else lstat(2) of the path open() was given */
  stats = new Map<number, { mode: number; rdev: number }>();
  private readonly openPaths = new Map<number, string>();
  /** fds handed out and not closed yet */
  readonly openFds = new Set<number>();

  private mask = 0o022;
  private readonly failures = new Map<Op, Failure[]>();
  private readonly absentPaths = new Set<string>();
  private readonly createdPaths = new Set<string>();
  /** root-relative path of each fd openat2 returned, so *at calls know where they create */
  private readonly fdPaths = new Map<number, string>();

  /** The next `count` calls of `op` (only those `match` accepts, if given) throw SysError(op, errno). */
  failNext(op: Op, errno: number, count = 1, match?: (...args: unknown[]) => boolean): this {
    const q = this.failures.get(op) ?? [];
    for (let i = 0; i < count; i++) q.push({ errno, match });
    this.failures.set(op, q);
    return this;
  }

  /** Marks root-relative paths (and everything under them) missing until created. */
  absent(...paths: string[]): this {
    for (const p of paths) this.absentPaths.add(norm(p));
    return this;
  }

  /** Whether the fake considers a root-relative path missing. */
  isMissing(p: string): boolean {
    const n = norm(p);
    if (this.createdPaths.has(n)) return false;
    for (let q = n; ; q = path.posix.dirname(q)) {
      if (this.absentPaths.has(q)) return true;
      if (q === "." || q === "/") return false;
    }
  }

  /** the ops of every call, in order */
  ops(): Op[] {
    return this.calls.map((c) => c.op);
  }

  /** the calls of one op, in order */
  callsOf(op: Op): unknown[][] {
    return this.calls.filter((c) => c.op === op).map((c) => c.args);
  }

  clear(): void {
    this.calls.length = 0;
  }

  /** `detail` is what the real Sys puts in the error, where src/ reads it (mount: see libc.ts) */
  private record(op: Op, args: unknown[], detail = ""): void {
    // trailing optional arguments the caller left out are not part of the call
    let n = args.length;
    while (n > 0 && args[n - 1] === undefined) n--;
    const recorded = args.slice(0, n).map(snapshot);
    this.calls.push({ op, args: recorded });
    const q = this.failures.get(op);
    if (!q) return;
    const i = q.findIndex((f) => !f.match || f.match(...recorded));
    if (i < 0) return;
    const [f] = q.splice(i, 1);
    throw new SysError(op, f.errno, detail);
  }

  private fd(rel?: string): number {
    const fd = this.nextFd++;
    this.openFds.add(fd);
    if (rel !== undefined) this.fdPaths.set(fd, rel);
    return fd;
  }

  /** an injected EEXIST means someone else made the path (a race): it exists from then on */
  private create(dirfd: number, p: string, rec: () => void): void {
    try {
      rec();
    } catch (e) {
      if (e instanceof SysError && e.errno === EEXIST) this.createdPaths.add(this.at(dirfd, p));
      throw e;
    }
    this.createdPaths.add(this.at(dirfd, p));
  }

  private at(dirfd: number, p: string): string {
    return norm(path.posix.join(this.fdPaths.get(dirfd) ?? ".", p.replace(/^\/+/, "")));
  }

  fork(): number { this.record("fork", []); return this.forkPid; }
  cloneParent(): number { this.record("cloneParent", []); return this.clonePid; }
  exit(code: number): never { this.record("exit", [code]); throw new FakeExit("exit", code); }
  waitpid(pid: number, flags: number): WaitResult {
    this.record("waitpid", [pid, flags]);
    return this.waitResults.shift() ?? { pid, status: 0 };
  }
  kill(pid: number, sig: number): void { this.record("kill", [pid, sig]); }
  pidfdOpen(pid: number): number { this.record("pidfdOpen", [pid]); return this.fd(); }
  pidfdSendSignal(pidfd: number, sig: number): void { this.record("pidfdSendSignal", [pidfd, sig]); }
  waitReadable(fd: number, timeoutMs: number): boolean { this.record("waitReadable", [fd, timeoutMs]); return true; }
  getpid(): number { this.record("getpid", []); return this.pid; }
  madvise(addr: bigint, len: bigint, advice: number): number { this.record("madvise", [addr, len, advice]); return 0; }

  unshare(flags: number): void { this.record("unshare", [flags]); }
  setns(fd: number, nstype: number): void { this.record("setns", [fd, nstype]); }
  sethostname(name: string): void { this.record("sethostname", [name]); }
  setdomainname(name: string): void { this.record("setdomainname", [name]); }

  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
    const q = (v: string) => JSON.stringify(v);
    this.record("mount", [source, target, fstype, flags, data],
      `${q(source ?? "")} on ${q(target)}${fstype ? ` type ${fstype}` : ""} (flags ${mountFlagNames(flags)}${data ? `, data ${q(data)}` : ""})`);
  }
  umount2(target: string, flags: number): void { this.record("umount2", [target, flags]); }
  pivotRoot(newRoot: string, putOld: string): void { this.record("pivotRoot", [newRoot, putOld]); }
  mountSetattr(dirfd: number, p: string, flags: number, attr: MountSetattr): void {
    this.record("mountSetattr", [dirfd, p, flags, attr]);
  }
  chdir(p: string): void { this.record("chdir", [p]); }
  fchdir(fd: number): void { this.record("fchdir", [fd]); }
  chroot(p: string): void { this.record("chroot", [p]); }

  open(p: string, flags: number, mode: number): number {
    this.record("open", [p, flags, mode]);
    const fd = this.fd();
    this.openPaths.set(fd, p);
    return fd;
  }
  rename(from: string, to: string): void { this.record("rename", [from, to]); }
  unlink(p: string): void { this.record("unlink", [p]); }
  rmdir(p: string): void { this.record("rmdir", [p]); }
  lstat(p: string): { mode: number; rdev: number } {
    this.record("lstat", [p]);
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) throw new SysError("lstat", ENOENT, JSON.stringify(p));
    return { mode: st.mode, rdev: st.rdev };
  }
  access(p: string, mode: number): boolean {
    this.record("access", [p, mode]);
    try { fs.accessSync(p, mode); return true; } catch { return false; }
  }
  /** the host's own stat(2) of the path (open() in this fake also opens host paths) */
  stat(p: string): { mode: number; rdev: number; dev: number; ino: number } {
    this.record("stat", [p]);
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) throw new SysError("stat", ENOENT, JSON.stringify(p));
    return { mode: st.mode, rdev: st.rdev, dev: st.dev, ino: st.ino };
  }
  fstat(fd: number): { mode: number; rdev: number } {
    this.record("fstat", [fd]);
    const known = this.stats.get(fd);
    if (known) return known;
    const p = this.openPaths.get(fd);
    const st = p !== undefined ? fs.lstatSync(p, { throwIfNoEntry: false }) : undefined;
    return st ? { mode: st.mode, rdev: st.rdev } : { mode: S_IF.REG | 0o644, rdev: 0 };
  }
  openat2(dirfd: number, p: string, flags: number, mode: number, resolve: number): number {
    this.record("openat2", [dirfd, p, flags, mode, resolve]);
    const rel = this.at(dirfd, p);
    if (this.isMissing(rel)) throw new SysError("openat2", ENOENT);
    return this.fd(rel);
  }
  read(fd: number, buf: Uint8Array): number {
    this.record("read", [fd, buf.length]);
    return 0;
  }
  writeInBackground(p: string, data: string): void {
    this.record("writeInBackground", [p, data]);
  }
  closeInBackground(fd: number): void { this.close(fd); }
  closeRange(first: number, last: number, flags: number): void {
    this.record("closeRange", [first, last, flags]);
  }
  close(fd: number): void {
    this.record("close", [fd]);
    this.openFds.delete(fd);
    this.fdPaths.delete(fd);
  }
  mkdirat(dirfd: number, p: string, mode: number): void {
    this.create(dirfd, p, () => this.record("mkdirat", [dirfd, p, mode]));
  }
  mknodat(dirfd: number, p: string, mode: number, dev: number): void {
    this.create(dirfd, p, () => this.record("mknodat", [dirfd, p, mode, dev]));
  }
  fchownat(dirfd: number, p: string, uid: number, gid: number, flags: number): void {
    this.record("fchownat", [dirfd, p, uid, gid, flags]);
  }
  symlinkat(target: string, dirfd: number, p: string): void { this.record("symlinkat", [target, dirfd, p]); }
  fcntl(fd: number, cmd: number, arg: number): number { this.record("fcntl", [fd, cmd, arg]); return 0; }
  flock(fd: number, op: number): void { this.record("flock", [fd, op]); }
  umask(mask: number): number {
    this.record("umask", [mask]);
    const old = this.mask;
    this.mask = mask;
    return old;
  }
  socketpair(): [number, number] { this.record("socketpair", []); return [this.fd(), this.fd()]; }
  socket(domain: number, type: number, protocol: number): number { this.record("socket", [domain, type, protocol]); return this.fd(); }
  pipe(): [number, number] { this.record("pipe", []); return [this.fd(), this.fd()]; }
  dup2(oldFd: number, newFd: number): void { this.record("dup2", [oldFd, newFd]); }
  ioctlInt(fd: number, request: number, arg: number): number { this.record("ioctlInt", [fd, request, arg]); return request === 0x5441 ? this.fd() : 0; }
  setsid(): number { this.record("setsid", []); return 1; }
  personality(p: number): void { this.record("personality", [p]); }
  openTree(dirfd: number, path: string, flags: number): number { this.record("openTree", [dirfd, path, flags]); return this.fd(); }
  moveMount(fromFd: number, toPath: string): void { this.record("moveMount", [fromFd, toPath]); }
  schedSetaffinity(pid: number, mask: Buffer): void { this.record("schedSetaffinity", [pid, mask]); }
  bpfProgLoad(progType: number, insns: Buffer, license: string): number { this.record("bpfProgLoad", [progType, insns, license]); return this.fd(); }
  bpfProgQuery(targetFd: number, attachType: number): number[] { this.record("bpfProgQuery", [targetFd, attachType]); return []; }
  bpfProgGetFdById(id: number): number { this.record("bpfProgGetFdById", [id]); return this.fd(); }
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number, replaceFd?: number): void { this.record("bpfProgAttach", [targetFd, progFd, attachType, flags, replaceFd]); }
  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void { this.record("bpfProgDetach", [targetFd, progFd, attachType]); }
  ioprioSet(which: number, who: number, prio: number): void { this.record("ioprioSet", [which, who, prio]); }
  schedSetattr(pid: number, attr: Buffer): void { this.record("schedSetattr", [pid, attr]); }
  setMempolicy(mode: number, mask: Buffer | null, maxnode: number): void { this.record("setMempolicy", [mode, mask, maxnode]); }
  connectUnix(path: string): number { this.record("connectUnix", [path]); return this.fd(); }
  sendFd(sock: number, fd: number, data: string): void { this.record("sendFd", [sock, fd, data]); }
  recvFd(sock: number): { fd: number; data: string } { this.record("recvFd", [sock]); return { fd: this.fd(), data: "" }; }
  ioctl(fd: number, request: number, arg: Buffer): void { this.record("ioctl", [fd, request, arg]); }

  posixSpawn(p: string, argv: string[], env: Record<string, string>, opts?: { newPidNs?: boolean }): number { this.record("posixSpawn", [p, argv, env, opts]); return this.forkPid; }
  resetSignals(signals: number[]): void { this.record("resetSignals", [signals]); }
  exitOnSignals(signals: number[]): void { this.record("exitOnSignals", [signals]); }
  prepareExecve(p: string, argv: string[], envp: string[]): () => never {
    return () => this.execve(p, argv, envp);
  }
  execve(p: string, argv: string[], envp: string[]): never {
    this.record("execve", [p, argv, envp]);
    throw new FakeExit("execve");
  }
  setgroups(gids: number[]): void { this.record("setgroups", [gids]); }
  setresuid(uid: number): void { this.record("setresuid", [uid]); }
  setresgid(gid: number): void { this.record("setresgid", [gid]); }
  prctl(option: number, a2: number, a3?: number, a4?: number, a5?: number): number {
    this.record("prctl", [option, a2, a3, a4, a5]);
    return this.prctlResult;
  }
  capget(): Caps { this.record("capget", []); return { ...this.caps }; }
  capset(caps: Caps): void { this.record("capset", [caps]); this.caps = { ...caps }; }
  prlimit(pid: number, resource: number, soft: bigint, hard: bigint): void { this.record("prlimit", [pid, resource, soft, hard]); }
  joinSessionKeyring(name: string): number {
    this.record("joinSessionKeyring", [name]);
    const id = this.keySerial;
    if (!this.keys.has(id)) this.keys.set(id, `keyring;0;0;3f010000;${name}`);
    return id;
  }
  describeKey(id: number): string {
    this.record("describeKey", [id]);
    const d = this.keys.get(id);
    if (d === undefined) throw new SysError("describeKey", ENOKEY);
    return d;
  }
  setKeyPerm(id: number, perm: number): void {
    this.record("setKeyPerm", [id, perm]);
    const d = this.keys.get(id)?.split(";");
    if (d) { d[3] = (perm >>> 0).toString(16).padStart(8, "0"); this.keys.set(id, d.join(";")); }
  }
  fstatfs(fd: number): number { this.record("fstatfs", [fd]); return this.fsTypes.get(fd) ?? 0x9fa0; }
  write(fd: number, data: Buffer): number { this.record("write", [fd, data]); return data.length; }
}
