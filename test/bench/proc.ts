// Process helpers for the bench: timed spawns, peak RSS through /usr/bin/time, waiting for a
// container's init to stop, and the memory of a parked init.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface Call {
  ms: number;
  ok: boolean;
  code: number;
  stdout: string;
  stderr: string;
}

let errDir = os.tmpdir();
let errSeq = 0;
export function setErrDir(dir: string): void {
  errDir = dir;
}

/**
 * A file for a call's stderr. Never a pipe: a detached `create` hands its own stdio to the
 * container's process, which keeps a pipe open, so reading it to EOF would wait for the container.
 */
export function errSink(): { fd: number; text(): string } {
  const file = path.join(errDir, `stderr-${process.pid}-${++errSeq % 64}`);
  const fd = fs.openSync(file, "w+");
  return {
    fd,
    text() {
      try {
        return fs.readFileSync(file, "utf8");
      } finally {
        fs.closeSync(fd);
      }
    },
  };
}

/** no runtime call may hang the bench: killed after this long, and counted as failed */
export const timeoutOpts = { timeout: 30_000, killSignal: "SIGKILL" as const };
export function setCallTimeout(s: number): void {
  timeoutOpts.timeout = s * 1000;
}
export const hungMsg = () => `hung: killed after ${timeoutOpts.timeout / 1000} s`;

/** one call, timed from just before the spawn to the child's exit (Bun's posix_spawn + wait) */
export function timed(cmd: string[], opts: { stdout?: "pipe" | "ignore" } = {}): Call {
  const err = errSink();
  const t0 = performance.now();
  const r = Bun.spawnSync(cmd, { stdin: "ignore", stdout: opts.stdout ?? "ignore", stderr: err.fd, ...timeoutOpts });
  const ms = performance.now() - t0;
  const hung = r.exitedDueToTimeout ? `${hungMsg()}\n` : "";
  return {
    ms,
    ok: r.exitCode === 0,
    code: r.exitCode ?? -1,
    stdout: r.stdout ? r.stdout.toString() : "",
    stderr: hung + err.text(),
  };
}

export interface RssCall extends Call {
  /** peak resident set of the call (wait4's ru_maxrss), KiB */
  kib: number;
}

const TIME = "/usr/bin/time";
const MARK = "@@tsrunc-bench maxrss=";

/**
 * Peak RSS of one call. Bun's own resourceUsage().maxRSS cannot be used: Bun starts children with
 * vfork, and the kernel folds the parent's high-water mark into the child's at exec, so every child
 * reports Bun's ~15 MiB. /usr/bin/time forks from a small process, so its %M is the child's own.
 * It adds ~1 ms of fork+exec, which is why the timings come from separate, unwrapped calls.
 */
export function withRss(cmd: string[]): RssCall {
  const c = timed([TIME, "-f", `${MARK}%M`, ...cmd]);
  const m = c.stderr.match(new RegExp(`${MARK}(\\d+)`));
  const stderr = c.stderr.replace(new RegExp(`(Command (exited|terminated)[^\\n]*\\n)?${MARK}\\d+\\n?`), "");
  return { ...c, stderr, kib: m ? Number(m[1]) : NaN };
}

/** sub-millisecond sleep (Bun.sleepSync rounds fractions down to nothing) */
const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** true once the process is gone or a zombie: the container has stopped */
export function isStopped(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return true;
  }
  const s = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return s === "Z" || s === "X" || s === "x";
}

/** polls /proc every ~0.3 ms (no runtime call, so no runtime's `state` cost is in it) */
export function waitStopped(pid: number, timeoutMs = 10_000): { ms: number; ok: boolean } {
  const t0 = performance.now();
  while (!isStopped(pid)) {
    if (performance.now() - t0 > timeoutMs) return { ms: performance.now() - t0, ok: false };
    sleepMs(0.2);
  }
  return { ms: performance.now() - t0, ok: true };
}

export function readPid(file: string): number {
  try {
    return Number(fs.readFileSync(file, "utf8").trim()) || 0;
  } catch {
    return 0;
  }
}

/** Rss, Pss and anonymous memory of a process, KiB, from /proc/<pid>/smaps_rollup */
export function smapsRollup(pid: number): { rss: number; pss: number; anon: number } | null {
  try {
    const t = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const get = (k: string) => Number(t.match(new RegExp(`^${k}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
    return { rss: get("Rss"), pss: get("Pss"), anon: get("Anonymous") };
  } catch {
    return null;
  }
}

/** the first line of stderr, for failure notes */
export function firstLine(s: string): string {
  const l = s.split("\n").map((x) => x.trim()).filter(Boolean);
  const last = l.find((x) => /hung|error|fail|not|unknown|invalid/i.test(x)) ?? l[0] ?? "";
  return last.length > 200 ? last.slice(0, 200) + "…" : last;
}

/** run a command, throw with its stderr when it fails (setup steps, not measurements) */
export function must(cmd: string[], what = cmd.join(" ")): string {
  const r = Bun.spawnSync(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${what}: exit ${r.exitCode}: ${r.stderr.toString().trim()}`);
  return r.stdout.toString();
}
