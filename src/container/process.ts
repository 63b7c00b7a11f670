// The process attributes every container process gets, PID 1 (init.ts) and exec'd ones (exec.ts),
// in the order the kernel rules force (runc's finalizeNamespace): rlimits and the bounding set
// while every capability is held, then the uid change with PR_SET_KEEPCAPS, then capset, then
// no_new_privs; the cwd as the new user; finally the fds.
import { readFile } from "../linux/file";
import { PR, type Sys } from "../sys";
import type { Process } from "../spec/types";
import { step } from "../errors";
import { applyRlimits } from "../linux/rlimits";
import { dropBoundingSet, applyCapabilities, lastCap } from "../linux/capabilities";
import { setUser } from "../linux/user";
import { loadFilter, usesNotify, type SeccompSpec } from "../linux/seccomp";
import { setScheduler, setIoPriority, type Scheduler } from "../linux/sched";
import { seccompLib } from "../sys/seccomp";
import { findExecutable, isExecutableFile, cloexecAllExcept, clearCloexec } from "../linux/process";

/** Applies `proc` to the calling process; returns the executable to execve. */
export function applyProcess(sys: Sys, proc: Process, env: string[], preserveFds: number, warn: (w: string) => void, seccomp?: SeccompSpec, onNotifyFd?: (fd: number) => void): string {
  applyRlimits(sys, proc.rlimits ?? []);
  // real-time scheduling and I/O classes need CAP_SYS_NICE / CAP_SYS_ADMIN: before the drop
  if (proc.scheduler) setScheduler(sys, proc.scheduler as unknown as Scheduler);
  if (proc.ioPriority) setIoPriority(sys, proc.ioPriority);
  // without no_new_privs, loading a filter needs CAP_SYS_ADMIN: now, before the caps go
  if (seccomp && !proc.noNewPrivileges) loadSeccomp(seccomp, warn, onNotifyFd);
  const caps = proc.capabilities ?? {};
  const last = lastCap();
  dropBoundingSet(sys, caps, last);
  sys.prctl(PR.SET_KEEPCAPS, 1);
  setUser(sys, proc.user, setgroupsAllowed());
  sys.prctl(PR.SET_KEEPCAPS, 0);
  for (const w of applyCapabilities(sys, caps, last)) warn(w);
  if (proc.noNewPrivileges) step("set no_new_privs", () => sys.prctl(PR.SET_NO_NEW_PRIVS, 1));
  // the cwd is entered as the container user, so a cwd it cannot reach fails here, like runc
  step(`chdir to cwd ${JSON.stringify(proc.cwd)}`, () => {
    sys.chdir(proc.cwd);
    // CVE-2024-21626: a cwd through a leaked fd (/proc/self/fd/N) lands outside the container's
    // root, which getcwd(3) reports as "(unreachable)"; refuse to exec there
    let cwd: string;
    try { cwd = process.cwd(); } catch { throw new Error("the working directory is outside the container (CVE-2024-21626)"); }
    if (!cwd.startsWith("/")) throw new Error(`the working directory ${JSON.stringify(cwd)} is outside the container (CVE-2024-21626)`);
  });
  const exe = step("find executable", () => findExecutable(proc.args![0], env, isExecutableFile));
  // CVE-2024-21626: only stdio and the preserved fds reach the container
  const keep = new Set<number>();
  for (let fd = 3; fd < 3 + preserveFds; fd++) keep.add(fd);
  cloexecAllExcept(sys, keep);
  for (const fd of [0, 1, 2, ...keep]) { try { clearCloexec(sys, fd); } catch { /* not open */ } }
  sys.umask(proc.user.umask ?? 0o022);
  // a notify filter must be in place while `create` still runs, to hand its fd to the listener
  if (seccomp && proc.noNewPrivileges && usesNotify(seccomp)) loadSeccomp(seccomp, warn, onNotifyFd);
  return exe;
}

/** with no_new_privs: as late as possible, right before execve, so the profile cannot block our setup */
export function loadSeccompLate(proc: Process, seccomp: SeccompSpec | undefined, warn: (w: string) => void): void {
  if (seccomp && proc.noNewPrivileges && !usesNotify(seccomp)) loadSeccomp(seccomp, warn);
}

function loadSeccomp(seccomp: SeccompSpec, warn: (w: string) => void, onNotifyFd?: (fd: number) => void): void {
  const { skipped, notifyFd } = step("load the seccomp filter", () => loadFilter(seccompLib(), seccomp));
  if (skipped.length) warn(`seccomp: syscalls unknown to this kernel/libseccomp, skipped: ${skipped.join(", ")}`);
  if (notifyFd >= 0) {
    if (!onNotifyFd) throw new Error("seccomp: SCMP_ACT_NOTIFY needs a listener, which this path does not have");
    onNotifyFd(notifyFd);
  }
}

function setgroupsAllowed(): boolean {
  try {
    return readFile("/proc/self/setgroups").trim() !== "deny";
  } catch {
    return true;
  }
}
