// run = create + start, then (unless detached) wait for the container and exit with its status.
// The container's PID 1 is our child (stage 2 was cloned with CLONE_PARENT), so waitpid sees it.
import { WNOHANG, SIGNALS, type Sys } from "../sys";
import { createContainer, type CreateOptions } from "./create";
import { startOpened, deleteContainer, deleteReaped } from "./lifecycle";
import { exitCodeOf, describeStatus } from "../linux/process";
import { timeline } from "../log";
import { proxyTerminal } from "./console-proxy";

const FORWARDED = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"] as const;

export async function runContainer(sys: Sys, opts: CreateOptions & { detach: boolean; keep: boolean }): Promise<number> {
  const { saved, dir, lockFd, consoleMaster, fifoFd } = createContainer(sys, { ...opts, proxyTerminal: !opts.detach && !opts.consoleSocket, startRightAway: true });
  try {
    // still holding create's lock and state: no second lock and read of state.json; exec.fifo
    // has been open since before the init reached it
    try { startOpened(sys, saved, dir, fifoFd!); } finally { sys.close(lockFd); }
  } catch (e) {
    // PID 1 is our child: say how it ended, which `start` alone cannot know
    try {
      const r = sys.waitpid(saved.pid, WNOHANG);
      if (r.pid === saved.pid && e instanceof Error) e.message += ` (the init process ${describeStatus(r.status)})`;
    } catch { /* not ours or still running */ }
    deleteContainer(sys, opts.root, opts.id, true);
    throw e;
  }
  timeline.mark("start");
  if (opts.detach) return 0;
  const proxy = consoleMaster !== undefined ? proxyTerminal(sys, consoleMaster) : undefined;
  const status = await waitForwardingSignals(sys, saved.pid, proxy !== undefined);
  proxy?.finish();
  timeline.mark("wait for the container");
  // PID 1 is reaped: no need to read the state again and ask whether it has stopped
  if (!opts.keep) deleteReaped(sys, saved, dir);
  timeline.mark("delete");
  return exitCodeOf(status);
}

/**
 * Waits for PID 1 and forwards the signals we receive to it. Its pidfd's poll wakes at its exit
 * (a timer or SIGCHLD through the event loop measured ~0.5 ms later); the poll is cut into short
 * slices, and a signal interrupts it, so the event loop runs the forwarding handlers in between.
 */
export async function waitForwardingSignals(sys: Sys, pid: number, proxying = false): Promise<number> {
  // a terminal proxy copies on the event loop, which must not stop for a poll's slice
  if (proxying) return waitOnEventLoop(sys, pid);
  let pidfd: number;
  try {
    pidfd = sys.pidfdOpen(pid);
  } catch {
    return waitOnEventLoop(sys, pid); // no pidfd_open (before Linux 5.3)
  }
  const handlers = FORWARDED.map((name) => {
    const h = () => { try { sys.pidfdSendSignal(pidfd, SIGNALS[name]); } catch { /* already gone */ } };
    process.on(name, h);
    return [name, h] as const;
  });
  try {
    for (;;) {
      if (sys.waitReadable(pidfd, 20)) {
        const r = sys.waitpid(pid, 0);
        if (r.pid === pid) return r.status;
      }
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    for (const [name, h] of handlers) process.off(name, h);
    sys.close(pidfd);
  }
}

/** the same with waitpid(WNOHANG) on SIGCHLD and a timer */
function waitOnEventLoop(sys: Sys, pid: number): Promise<number> {
  return new Promise((resolve) => {
    const handlers = FORWARDED.map((name) => {
      const h = () => { try { process.kill(pid, name); } catch { /* already gone */ } };
      process.on(name, h);
      return [name, h] as const;
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = () => {
      const r = sys.waitpid(pid, WNOHANG);
      if (r.pid !== pid) return false;
      for (const [name, h] of handlers) process.off(name, h);
      process.off("SIGCHLD", onChld);
      if (timer) clearTimeout(timer);
      resolve(r.status);
      return true;
    };
    const onChld = () => { check(); };
    process.on("SIGCHLD", onChld);
    const poll = (ms: number) => {
      if (check()) return;
      timer = setTimeout(() => poll(Math.min(ms * 2, 100)), ms);
    };
    poll(1);
  });
}
