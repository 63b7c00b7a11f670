// Reading and writing cgroupfs files, shared by every controller module. Controllers receive a
// `CgroupIO` so tests can run them against temporary directories shaped like cgroupfs (and inject
// kernel answers such as EBUSY or a stuck FREEZING) without root.
import { fs } from "../lazy-fs";
import * as path from "../../pathname";
import { errnoName, errnoOf, errnoText } from "../../errors";
import { O, realSys, sysLoaded } from "../../sys";
import { exists, readFile } from "../file";
import { bytes } from "../../sys/bytes";

export interface CgroupIO {
  read(file: string): string;
  /** one write(2) of the whole value, like the kernel expects; never creates the file */
  write(file: string, value: string): void;
  exists(file: string): boolean;
  /** names in a directory ([] when it is missing) */
  list(dir: string): string[];
  isDir(p: string): boolean;
  sleep(ms: number): void;
}

/** A failed read or write of a cgroup file; `code` is the errno name ("EBUSY") for callers to test. */
export class CgroupFileError extends Error {
  constructor(readonly op: "read" | "write", readonly file: string, readonly code: string, readonly errno: number, value?: string) {
    super(`${op === "write" ? `write ${JSON.stringify(value)} to` : "read"} ${file}: ${errno ? errnoText(errno) : code}`);
    this.name = "CgroupFileError";
  }
}

/** a node:fs error (code, negative errno) or a SysError (errno) as a CgroupFileError */
function fileError(op: "read" | "write", file: string, e: unknown, value?: string): CgroupFileError {
  const errno = errnoOf(e) ?? 0;
  return new CgroupFileError(op, file, (e as NodeJS.ErrnoException).code ?? (errno ? errnoName(errno) : "EIO"), errno, value);
}

// Through Sys once it is loaded (create's parent, delete): node:fs costs ~1 ms of CPU to load,
// which 20 parallel creates pay twenty times over. node:fs otherwise (update, events, tests).
export const fsIO: CgroupIO = {
  read(file) {
    try {
      return sysLoaded() ? readFile(file) : fs.readFileSync(file, "utf8");
    } catch (e) {
      throw fileError("read", file, e);
    }
  },
  write(file, value) {
    // O_TRUNC without O_CREAT: cgroupfs ignores the truncation, and in a temporary test directory
    // a missing file fails with ENOENT exactly as a missing controller file does in cgroupfs.
    // One write(2) of the whole value: a cgroup file takes one value per write.
    const sys = sysLoaded() ? realSys() : undefined;
    let fd: number;
    try {
      fd = sys ? sys.open(file, O.WRONLY | O.TRUNC | O.CLOEXEC, 0) : fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
    } catch (e) {
      throw fileError("write", file, e, value);
    }
    try {
      if (sys) sys.write(fd, bytes(value));
      else fs.writeSync(fd, value);
    } catch (e) {
      throw fileError("write", file, e, value);
    } finally {
      if (sys) sys.close(fd);
      else fs.closeSync(fd);
    }
  },
  exists: (file) => (sysLoaded() ? exists(file) : fs.existsSync(file)),
  list(dir) {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  },
  isDir(p) {
    try {
      return fs.statSync(p).isDirectory();
    } catch {
      return false;
    }
  },
  sleep: (ms) => Bun.sleepSync(ms),
};

/** A resource the host cannot apply: the pointer names the field, the text the missing piece. */
export class UnsupportedResource extends Error {
  constructor(readonly pointer: string, readonly why: string) {
    super(`${pointer}: ${why}`);
    this.name = "UnsupportedResource";
  }
}

/** Several unsupported resources found before anything was written. */
export class UnsupportedResources extends Error {
  constructor(readonly problems: UnsupportedResource[]) {
    super(problems.length === 1 ? problems[0].message : `${problems.length} unsupported resources:\n  ${problems.map((p) => p.message).join("\n  ")}`);
    this.name = "UnsupportedResources";
  }
}

/** Counters above 2^53 (v1's "unlimited" 9223372036854771712, v2's "max") stay exact as bigint. */
export type Num = number | bigint;
export const MAX_U64 = 18446744073709551615n;

export const isSet = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;
/** runc's configs use 0 for "not set" in most numeric fields (Memory, CpuQuota, BlkioWeight...) */
export const nonZero = (v: number | null | undefined): v is number => isSet(v) && v !== 0;

/** A decimal integer as the kernel parses it (no exponent form for large values). */
export function int(n: number): string {
  if (!Number.isInteger(n)) throw new Error(`${n} is not an integer`);
  return BigInt(n).toString();
}

export function toNum(s: string): Num {
  const t = s.trim();
  if (!/^-?\d+$/.test(t)) throw new Error(`not a number: ${JSON.stringify(s)}`);
  const b = BigInt(t);
  return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(b) : b;
}

/** runc's GetCgroupParamUint: "max" reads as the largest uint64 */
export function parseUint(s: string): Num {
  return s.trim() === "max" ? MAX_U64 : toNum(s);
}

/** "key value" lines (memory.stat, cpu.stat, cgroup.events, pids.events) */
export function parseKeyValues(text: string): Map<string, Num> {
  const m = new Map<string, Num>();
  for (const line of text.split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) m.set(k, parseUint(v));
  }
  return m;
}

export function mul(a: Num, b: number): Num {
  const r = BigInt(a) * BigInt(b);
  return r <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(r) : r;
}

export function add(a: Num, b: Num): Num {
  const r = BigInt(a) + BigInt(b);
  return r <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(r) : r;
}

/** Helpers bound to one cgroup directory. */
export class CgroupFiles {
  constructor(readonly dir: string, readonly io: CgroupIO = fsIO) {}
  path(name: string): string { return path.join(this.dir, name); }
  has(name: string): boolean { return this.io.exists(this.path(name)); }
  read(name: string): string { return this.io.read(this.path(name)); }
  write(name: string, value: string): void { this.io.write(this.path(name), value); }
  /** the file's number, or undefined when the file is missing (optional kernel features) */
  num(name: string): Num | undefined { return this.has(name) ? parseUint(this.read(name)) : undefined; }
  keyValues(name: string): Map<string, Num> { return this.has(name) ? parseKeyValues(this.read(name)) : new Map(); }
}
