// Process creation for a JS engine. Stages (README "How a container starts"; this changed
// DESIGN.md §1, where the parent forks its own engine):
//
//   tsrunc (parent, multi-threaded engine: it never forks)
//     │ posix_spawn of `tsrunc init` (linux/engine.ts), inside unshare(CLONE_NEWPID) when it can
//     └─ the init engine (one thread, JIT tiers off)
//          usual case: it is PID 1 of the new pid namespace already: it joins and creates the
//            other namespaces and goes on as stage 2 itself (init.ts runStage1 -> runStage2)
//          otherwise (user or time namespace, a joined pid or mount namespace, idmapped mounts):
//            stage 1: setns(joined namespaces), unshare(user) ⇄ parent writes id maps,
//            unshare(the other namespaces), write timens offsets, clone(CLONE_PARENT), report
//            stage 2's host pid, _exit(0); stage 2 (PID 1, a child of the parent):
//          stage 2: rootfs, pivot_root, process attributes, "ready", exec.fifo, execve
//
// JSC marks its JIT memory MADV_DONTFORK, so a clone or fork without MADV_DOFORK gives a child
// that dies with SIGSEGV at the first call into it. unshare(CLONE_NEWUSER) and setns() into user
// and mount namespaces need a single-threaded caller (EINVAL otherwise).
import { readFile } from "./file";
import { realSys, type Sys } from "../sys";
import { filter, find } from "../sys/arrays";

const MADV_DOFORK = 11, MADV_DONTNEED = 4;
const CLOSE_RANGE_CLOEXEC = 4;

export function forkSingleThreaded(sys: Sys): number {
  keepMappingsOnFork(sys, () => true);
  return sys.fork();
}

/**
 * Before a clone of a single-threaded engine (stage 1's clone of PID 1, exec's of its process):
 * the executable memory of the engine's JIT, the one mapping JSC marks MADV_DONTFORK when the
 * JIT is enabled (linux/engine.ts), must reach the child too.
 */
export function keepJitOnFork(sys: Sys): void {
  keepMappingsOnFork(sys, (perms) => perms === "rwxp");
}

function keepMappingsOnFork(sys: Sys, which: (perms: string) => boolean): void {
  adviseMappings(sys, which, MADV_DOFORK);
}

/**
 * The waiting init (create → start) gives back the file pages it only reads: the r-xp mappings
 * of the executable and its libraries, and their first r--p segment (file offset 0: the ELF
 * headers and read-only data, 4+ MiB of the executable's). They are never written, so
 * MADV_DONTNEED loses nothing: what runs after the wait faults back in from the page cache.
 * Not a later r--p segment: it may be RELRO, relocated private copies MADV_DONTNEED would discard.
 * Fewer pages mapped at the wait is less for the execve to unmap on start's path (start reads
 * exec.fifo until that execve closes it).
 */
export function dropCodePages(sys: Sys): void {
  adviseMappings(sys, (perms, line, offset) => (perms === "r-xp" || (perms === "r--p" && offset === "00000000")) && line.includes("/"), MADV_DONTNEED);
}

function adviseMappings(sys: Sys, which: (perms: string, line: string, offset: string) => boolean, advice: number): void {
  const maps = readFile("/proc/self/maps");
  for (const line of maps.split("\n")) {
    const dash = line.indexOf("-");
    const sp = line.indexOf(" ");
    if (dash <= 0 || sp <= dash || line.endsWith("[vsyscall]") || !which(line.slice(sp + 1, sp + 5), line, line.slice(sp + 6, sp + 14))) continue;
    const start = BigInt("0x" + line.slice(0, dash));
    const end = BigInt("0x" + line.slice(dash + 1, sp));
    sys.madvise(start, end - start, advice);
  }
}

export function threadCount(): number {
  return Number(statusField(readFile("/proc/self/status"), "Threads") || 0);
}

/**
 * One field of /proc/<pid>/status ("" when missing). String operations, not a regular expression:
 * the init engine runs in the interpreter, and its first regular expression costs ~0.1 ms.
 */
export function statusField(status: string, name: string): string {
  const key = name + ":";
  const nl = status.startsWith(key) ? -1 : status.indexOf("\n" + key);
  if (nl < 0 && !status.startsWith(key)) return "";
  const at = nl + 1 + key.length, end = status.indexOf("\n", at);
  return status.slice(at, end < 0 ? undefined : end).trim();
}

/** The kernel refuses these calls from a multi-threaded process with a bare EINVAL; say why. */
export function assertSingleThreaded(what: string): void {
  const n = threadCount();
  if (n !== 1) throw new Error(`${what}: the init process has ${n} threads; the kernel requires exactly one`);
}

/**
 * The signals whose disposition is not SIG_DFL, from /proc/self/status (SigIgn, SigCgt): the
 * engine ignores some (SIGPIPE, SIGXFSZ, glibc's 32 and 33) and an ignored signal stays ignored
 * across execve(2).
 */
export function nonDefaultSignals(status: string): number[] {
  const mask = (field: string) => BigInt("0x" + (statusField(status, field) || "0"));
  const m = mask("SigIgn") | mask("SigCgt");
  const out: number[] = [];
  for (let sig = 1; sig <= 64; sig++) if ((m >> BigInt(sig - 1)) & 1n && sig !== 9 && sig !== 19) out.push(sig);
  return out;
}

/** Before execve: dispositions other than SIG_DFL back to it (see nonDefaultSignals). */
export function resetSignalDispositions(sys: Sys): void {
  sys.resetSignals(nonDefaultSignals(readFile("/proc/self/status")));
}

/** waitpid that does not mind a process already reaped or not ours */
export function reapQuietly(sys: Sys, pid: number): void {
  try { sys.waitpid(pid, 0); } catch { /* already reaped or not our child */ }
}

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** execvp's lookup, done by hand so the container's own PATH (from process.env) is used. */
export function findExecutable(arg0: string, env: string[], exists: (p: string) => boolean): string {
  if (arg0.includes("/")) return arg0;
  const pathVar = find(env, (e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
  for (const dir of pathVar.split(":")) {
    const candidate = `${dir || "."}/${arg0}`;
    if (exists(candidate)) return candidate;
  }
  throw new Error(`exec: ${JSON.stringify(arg0)}: executable file not found in $PATH`);
}

export function isExecutableFile(p: string, sys: Sys = realSys()): boolean {
  try {
    const { mode } = sys.stat(p);
    return (mode & 0o170000) === 0o100000 && (mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * CVE-2024-21626: no runtime fd may survive into the container. Every fd above 2 that is not
 * preserved gets FD_CLOEXEC (closing them here would pull fds from under the engine), with
 * close_range(2)'s CLOSE_RANGE_CLOEXEC on the ranges between the kept ones, like runc.
 */
export function cloexecAllExcept(sys: Sys, keep: Set<number>): void {
  let first = 3;
  for (const fd of filter([...keep], (k) => k >= 3).sort((a, b) => a - b)) {
    if (fd > first) sys.closeRange(first, fd - 1, CLOSE_RANGE_CLOEXEC);
    first = Math.max(first, fd + 1);
  }
  sys.closeRange(first, 0xffffffff, CLOSE_RANGE_CLOEXEC);
}

export function clearCloexec(sys: Sys, fd: number): void {
  sys.fcntl(fd, 2 /* F_SETFD */, 0);
}

export function describeStatus(status: number): string {
  const sig = status & 0x7f;
  return sig === 0 ? `exited with status ${(status >> 8) & 0xff}` : `was killed by signal ${sig}`;
}

/** wait(2) status → exit code like a shell: 128+signal for a killed process. */
export function exitCodeOf(status: number): number {
  const sig = status & 0x7f;
  if (sig === 0) return (status >> 8) & 0xff;
  return 128 + sig;
}
