// exec's container side: the stages that run in the init engine (init-engine.ts) and its clone.
// Kept apart from exec.ts so the init engine loads none of the parent's code (create, run, the
// validator). Same rules as init.ts: synchronous calls, no console.
import { O, PR, type Sys } from "../sys";
import type { Process, NamespaceType } from "../spec/types";
import { errnoOf, step } from "../errors";
import { NS_FLAG, NS_PROC_NAME } from "../linux/namespaces";
import { assertSingleThreaded, resetSignalDispositions } from "../linux/process";
import { SyncReader, send } from "./sync";
import { applyProcess, loadSeccompLate } from "./process";
import type { SeccompSpec } from "../linux/seccomp";
import { setCpuAffinity } from "../linux/sched";
import { applyApparmorProfile, setSelinuxExecLabel } from "../linux/lsm";
import { openPty, becomeTerminalSession } from "../linux/terminal";

export interface ExecOptions {
  root: string;
  id: string;
  process: Process;
  detach: boolean;
  pidFile?: string;
  preserveFds: number;
  ignorePaused: boolean;
  consoleSocket?: string;
  /** the container's filter: an exec'd process gets it too, like runc */
  seccomp?: SeccompSpec;
}

/** what the exec's init engine needs (init-engine.ts) */
export interface ExecPlan {
  opts: ExecOptions;
  /** the container's PID 1, whose namespaces stage 1 joins */
  pid: number;
  joins: NamespaceType[];
}

/** Stage 1, in the init engine's forked child: join PID 1's namespaces, clone the process. */
export function execStage1(sys: Sys, plan: ExecPlan, sock: number, consoleSock: number): never {
  try {
    sys.prctl(PR.SET_DUMPABLE, 0); // CVE-2019-5736: before entering the container's namespaces (see init.ts)
    send(sock, { type: "stage1", pid: sys.getpid() });
    const { joins, opts } = plan;
    const nsFds = joins.map((t) => step(`open ${t} namespace of pid ${plan.pid}`, () => sys.open(`/proc/${plan.pid}/ns/${NS_PROC_NAME[t]}`, O.RDONLY | O.CLOEXEC, 0)));
    joins.forEach((t, i) => step(`join the container's ${t} namespace`, () => {
      if (t === "user" || t === "mount") assertSingleThreaded("setns");
      sys.setns(nsFds[i], NS_FLAG[t]);
    }));
    for (const fd of nsFds) sys.close(fd);
    const pid = step("clone the exec process", () => sys.cloneParent());
    if (pid === 0) stage2Main(sys, sock, consoleSock, opts);
    send(sock, { type: "pid", pid });
    sys.exit(0);
  } catch (e) {
    reportAndExit(sys, sock, e);
  }
}

function stage2Main(sys: Sys, sock: number, consoleSock: number, opts: ExecOptions): never {
  try {
    new SyncReader(sock).expect("go", "wait for the cgroups");
    setCpuAffinity(sys, opts.process.execCPUAffinity?.initial, "initial");
    if (consoleSock >= 0) {
      // in the container's mount namespace now: /dev/ptmx is the container's devpts
      const pty = openPty(sys, opts.process.consoleSize);
      step("send the pty master", () => sys.sendFd(consoleSock, pty.master, "console"));
      sys.close(pty.master);
      sys.close(consoleSock);
      becomeTerminalSession(sys, pty.slave);
    }
    const env = opts.process.env ?? [];
    applyApparmorProfile(sys, opts.process.apparmorProfile);
    setSelinuxExecLabel(sys, opts.process.selinuxLabel);
    const exe = applyProcess(sys, opts.process, env, opts.preserveFds, () => {}, opts.seccomp);
    setCpuAffinity(sys, opts.process.execCPUAffinity?.final, "final");
    resetSignalDispositions(sys); // as in init.ts: no ignored signals from the engine
    loadSeccompLate(opts.process, opts.seccomp, () => {});
    sys.execve(exe, opts.process.args!, env);
  } catch (e) {
    reportAndExit(sys, sock, e);
  }
}

function reportAndExit(sys: Sys, sock: number, e: unknown): never {
  try { send(sock, { type: "error", message: e instanceof Error ? e.message : String(e), errno: errnoOf(e) }); } catch { /* parent gone */ }
  sys.exit(255);
}

