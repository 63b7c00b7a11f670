// runtime-spec hooks (config.md "POSIX-platform Hooks"): each gets the container state as JSON on
// stdin, runs with exactly its own args and env, and is killed after `timeout` seconds.
// Runtime-namespace hooks (prestart, createRuntime, poststart, poststop) run from the tsrunc
// process; container-namespace ones (createContainer, startContainer) from the init, which has
// no event loop, so there they are forked and waited for with plain system calls.
import { fs } from "./lazy-fs";
import type { Hook, Spec } from "../spec/types";
import { WNOHANG, type Sys } from "../sys";
import { forkSingleThreaded, describeStatus } from "./process";

export type HookKind = "prestart" | "createRuntime" | "createContainer" | "startContainer" | "poststart" | "poststop";

export interface HookState {
  ociVersion: string;
  id: string;
  status: string;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

function label(kind: HookKind, i: number, h: Hook): string {
  return `${kind} hook #${i} ${JSON.stringify(h.path)}`;
}

/**
 * poststart and poststop: a failure is a warning and the remaining hooks still run
 * (config.md "If any poststart hook fails, the runtime MUST log a warning, but the remaining
 * hooks and lifecycle continue as if the hook had succeeded"); returns the warnings.
 */
export function runHooksContinuing(kind: "poststart" | "poststop", hooks: Hook[] | undefined, state: HookState): string[] {
  const warnings: string[] = [];
  (hooks ?? []).forEach((h, i) => {
    try {
      runHook(kind, h, i, state);
    } catch (e) {
      warnings.push(e instanceof Error ? e.message : String(e));
    }
  });
  return warnings;
}

/** From the runtime process: Bun.spawnSync with the state on stdin; output joins the error. */
export function runHooks(kind: HookKind, hooks: Hook[] | undefined, state: HookState): void {
  (hooks ?? []).forEach((h, i) => runHook(kind, h, i, state));
}

function runHook(kind: HookKind, h: Hook, i: number, state: HookState): void {
  {
    let r: ReturnType<typeof Bun.spawnSync>;
    try {
      r = Bun.spawnSync([h.path, ...(h.args ?? [h.path]).slice(1)], {
        argv0: h.args?.[0] ?? h.path, env: envObject(h.env), stdin: Buffer.from(JSON.stringify(state)),
        stdout: "pipe", stderr: "pipe", timeout: h.timeout ? h.timeout * 1000 : undefined, killSignal: "SIGKILL",
      });
    } catch (e) {
      throw new Error(`${label(kind, i, h)}: ${e instanceof Error ? e.message : e}`);
    }
    const out = `${r.stdout?.toString() ?? ""}${r.stderr?.toString() ?? ""}`.trim();
    if (r.exitedDueToTimeout) throw new Error(`${label(kind, i, h)}: timed out after ${h.timeout} s`);
    if (r.exitCode !== 0) throw new Error(`${label(kind, i, h)}: ${r.signalCode ? `killed by ${r.signalCode}` : `exit status ${r.exitCode}`}${out ? `: ${out}` : ""}`);
  }
}

function envObject(env: string[] | undefined): Record<string, string> {
  const o: Record<string, string> = {};
  for (const e of env ?? []) {
    const i = e.indexOf("=");
    if (i > 0) o[e.slice(0, i)] = e.slice(i + 1);
  }
  return o;
}

/** From a forked init: fork, exec the hook with the state on a pipe, poll for its exit. */
export function runHooksInInit(sys: Sys, kind: HookKind, hooks: Hook[] | undefined, state: HookState): void {
  if (!hooks?.length) return; // the init engine's usual case: no Array builtin to compile (sys/arrays.ts)
  hooks.forEach((h, i) => {
    const [r, w] = sys.pipe();
    const pid = forkSingleThreaded(sys);
    if (pid === 0) {
      try {
        sys.dup2(r, 0);
        sys.execve(h.path, h.args ?? [h.path], h.env ?? []);
      } catch {
        sys.exit(127);
      }
    }
    sys.close(r);
    const data = Buffer.from(JSON.stringify(state));
    try {
      for (let off = 0; off < data.length; ) off += fs.writeSync(w, data, off);
    } catch {
      // a hook that does not read its stdin is fine
    }
    sys.close(w);
    const deadline = h.timeout ? Date.now() + h.timeout * 1000 : Infinity;
    for (;;) {
      const res = sys.waitpid(pid, WNOHANG);
      if (res.pid === pid) {
        if (res.status !== 0) throw new Error(`${label(kind, i, h)}: ${describeStatus(res.status)}`);
        break;
      }
      if (Date.now() > deadline) {
        sys.kill(pid, 9);
        sys.waitpid(pid, 0);
        throw new Error(`${label(kind, i, h)}: timed out after ${h.timeout} s`);
      }
      Bun.sleepSync(1);
    }
  });
}

/** the init stops before pivot_root when any hook needs it or its host pid */
export function initHookSync(spec: Spec): boolean {
  const h = spec.hooks ?? {};
  return !!(h.prestart?.length || h.createRuntime?.length || h.createContainer?.length || h.startContainer?.length);
}
