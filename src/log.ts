// Logging the way clients read it: with --log FILE --log-format json one JSON object per line
// ({"level","msg","time"}); podman, containerd and docker show the last "msg" to their users.
import { writeAll } from "./linux/file";
import { O, realSys, sysLoaded } from "./sys";

type Level = "debug" | "info" | "warning" | "error";

const cfg = { file: "", json: false, debug: false, fd: -1 };

export function configureLog(opts: { file?: string; format?: string; debug?: boolean }): void {
  cfg.file = opts.file ?? "";
  cfg.json = opts.format === "json";
  cfg.debug = !!opts.debug;
  // through Sys: create and run have it loaded by now (main.ts), start, kill and delete load it
  // anyway, and for the others it costs no more than node:fs (containerd and podman always pass --log)
  if (cfg.file) cfg.fd = (sysLoaded() ? realSys() : realSys("verbs")).open(cfg.file, O.WRONLY | O.APPEND | O.CREAT | O.CLOEXEC, 0o644);
}

export function debugEnabled(): boolean {
  return cfg.debug;
}

function line(level: Level, msg: string): string {
  const time = new Date().toISOString();
  if (cfg.json) return JSON.stringify({ level, msg, time }) + "\n";
  return `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

function emit(level: Level, msg: string): void {
  writeAll(cfg.fd >= 0 ? cfg.fd : 2, line(level, msg));
}

export const log = {
  debug(msg: string): void { if (cfg.debug) emit("debug", msg); },
  info(msg: string): void { emit("info", msg); },
  warn(msg: string): void { emit("warning", msg); },
  /** with a log file, errors also reach stderr as plain text, for people at a shell */
  error(msg: string): void {
    emit("error", msg);
    if (cfg.fd >= 0) writeAll(2, `${msg}\n`);
  },
};

/**
 * --debug timeline: each step with its duration and its time since the process started
 * (performance.now() counts from process start), so a slow start shows where the time went.
 */
export class Timeline {
  private last = 0;
  mark(stepName: string, now = performance.now()): void {
    if (!cfg.debug) return;
    emit("debug", `timing ${stepName}: ${(now - this.last).toFixed(2)} ms (at ${now.toFixed(2)} ms)`);
    this.last = now;
  }
}

/** one timeline per process: the first mark measures the engine's own start */
export const timeline = new Timeline();
