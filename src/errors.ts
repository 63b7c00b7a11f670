// Error types shared by every layer. The text reads outer to inner, the way runc and crun word
// errors, so a client that shows only the last log line still sees step, object and cause.

const ERRNO_NAMES: Record<number, [string, string]> = {
  1: ["EPERM", "Operation not permitted"], 2: ["ENOENT", "No such file or directory"],
  3: ["ESRCH", "No such process"], 4: ["EINTR", "Interrupted system call"], 5: ["EIO", "Input/output error"],
  9: ["EBADF", "Bad file descriptor"], 10: ["ECHILD", "No child processes"], 11: ["EAGAIN", "Resource temporarily unavailable"],
  12: ["ENOMEM", "Cannot allocate memory"], 13: ["EACCES", "Permission denied"], 16: ["EBUSY", "Device or resource busy"],
  17: ["EEXIST", "File exists"], 18: ["EXDEV", "Invalid cross-device link"], 19: ["ENODEV", "No such device"],
  20: ["ENOTDIR", "Not a directory"], 21: ["EISDIR", "Is a directory"], 22: ["EINVAL", "Invalid argument"],
  24: ["EMFILE", "Too many open files"], 28: ["ENOSPC", "No space left on device"], 30: ["EROFS", "Read-only file system"],
  36: ["ENAMETOOLONG", "File name too long"], 38: ["ENOSYS", "Function not implemented"], 39: ["ENOTEMPTY", "Directory not empty"],
  40: ["ELOOP", "Too many levels of symbolic links"], 95: ["EOPNOTSUPP", "Operation not supported"],
  111: ["ECONNREFUSED", "Connection refused"], 6: ["ENXIO", "No such device or address"],
};

/** the errno's name ("EBUSY"), as node:fs errors carry it in `code` */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno]?.[0] ?? `errno ${errno}`;
}

export function errnoText(errno: number): string {
  const e = ERRNO_NAMES[errno];
  return e ? `${e[0]} (${e[1]})` : `errno ${errno}`;
}

/** A failing kernel call: thrown only by src/sys. */
export class SysError extends Error {
  constructor(readonly syscall: string, readonly errno: number, readonly detail = "") {
    super(`${syscall}${detail ? " " + detail : ""}: ${errnoText(errno)}`);
    this.name = "SysError";
  }
}

/** A step of an operation that failed, wrapping the cause. */
export class StepError extends Error {
  readonly errno?: number;
  constructor(readonly step: string, readonly cause: unknown) {
    super(`${step}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "StepError";
    this.errno = errnoOf(cause);
  }
}

/** The configuration (or an argument) is wrong: nothing was done. */
export class ConfigError extends Error {
  constructor(readonly problems: string[], readonly prefix = "config.json") {
    super(problems.length === 1 ? `${prefix}: ${problems[0]}` : `${prefix}: ${problems.length} problems:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/** Plain user-facing error (bad argument, wrong state). */
export class UsageError extends Error {
  constructor(message: string) { super(message); this.name = "UsageError"; }
}

/** the container's state directory is missing: delete --force succeeds on it, as runc's does */
export class NoContainerError extends UsageError {
  constructor() { super("container does not exist"); }
}

/** the errno of a SysError, a StepError's cause, or a node:fs error (which carries it negated) */
export function errnoOf(e: unknown): number | undefined {
  if (e instanceof SysError) return e.errno;
  if (e instanceof StepError) return e.errno;
  const n = (e as NodeJS.ErrnoException | undefined)?.errno;
  return typeof n === "number" ? Math.abs(n) : undefined;
}

/** Runs fn, wrapping any failure with the step's name. */
export function step<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new StepError(name, e);
  }
}
