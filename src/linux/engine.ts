// The JS engine's threads versus fork(2). fork copies only the calling thread; a lock that
// another engine thread held at that moment stays held forever in the child. Measured with 4x200
// parallel `run`s on this 2-CPU machine: 0.3-1% of init children hung parked in
// pthread_cond_wait (a WTF::Lock held by a JIT or MarkedBlock warm-up thread: JITWorker,
// JSCWarmUp). Tried, still hanging: a full GC before fork, useConcurrentJIT=0, a tier-up policy of
// 1e6, useConcurrentGC=0 with one GC marker, useWarmUpMarkedBlocks=0 alone. With useJIT=0 the
// engine starts neither thread kind and 2x800 runs had no hang; tsrunc's code runs once per
// call, so the interpreter costs nothing measurable. JSC reads options only at start: re-exec.
import { realSys } from "../sys";

export const FORK_SAFE_ENGINE_ENV: Record<string, string> = {
  BUN_JSC_useJIT: "0",
};

const FORKING = new Set(["create", "run", "exec"]);

/** Re-executes tsrunc with FORK_SAFE_ENGINE_ENV when `command` forks and the options are not set. */
export function forkSafeEngine(command: string | undefined): void {
  if (!command || !FORKING.has(command)) return;
  if (Object.entries(FORK_SAFE_ENGINE_ENV).every(([k, v]) => process.env[k] === v)) return;
  // libc's execve, not process.execve: the engine's closes fds above 2, and --preserve-fds,
  // LISTEN_FDS and conmon's sync pipes must pass through
  const env = Object.entries({ ...process.env, ...FORK_SAFE_ENGINE_ENV }).map(([k, v]) => `${k}=${v}`);
  realSys().execve(process.execPath, [process.execPath, ...process.argv.slice(2)], env);
}

/** true when the engine runs with the fork-safe options (checked before each fork) */
export function engineIsForkSafe(): boolean {
  return Object.entries(FORK_SAFE_ENGINE_ENV).every(([k, v]) => process.env[k] === v);
}
