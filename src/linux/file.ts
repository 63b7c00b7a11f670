// Whole-file reads and writes through Sys, for the init engine's and create's hot paths (see
// lazy-fs.ts): small files, under /proc, the state directory and the cgroup trees.
import { O, realSys, sysLoaded, type Sys } from "../sys";
import { fs } from "./lazy-fs";
import { bytes } from "../sys/bytes";

export function readFile(path: string, sys: Sys = realSys()): string {
  const fd = sys.open(path, O.RDONLY | O.CLOEXEC, 0);
  try {
    // one buffer, grown if need be: the files read here are small (state.json ~1.6 KB)
    let buf = Buffer.allocUnsafe(16384);
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        const grown = Buffer.allocUnsafe(len * 2);
        buf.copy(grown, 0, 0, len);
        buf = grown;
      }
      const n = sys.read(fd, len ? buf.subarray(len) : buf);
      if (n === 0) break;
      len += n;
    }
    return buf.toString("utf8", 0, len);
  } finally {
    sys.close(fd);
  }
}

/**
 * Writes data in one write(2) where it fits, as procfs files want it. With a mode, the file is
 * created or truncated first.
 */
export function writeFile(path: string, data: string, sys: Sys = realSys(), mode?: number): void {
  const fd = sys.open(path, O.WRONLY | O.CLOEXEC | (mode === undefined ? 0 : O.CREAT | O.TRUNC), mode ?? 0);
  try {
    writeBytes(sys, fd, bytes(data));
  } finally {
    sys.close(fd);
  }
}

/** the path exists (symlinks followed, like fs.existsSync): access(2), which fills no struct */
export function exists(path: string, sys: Sys = realSys()): boolean {
  return sys.access(path, 0);
}

// The verbs read and write through Sys: with bun:ffi imported statically and their functions
// bound in one batch, loading it costs less than loading node:fs (~1.1 ms), even for `state` and
// --version, which make no other libc call. Callers that have node:fs loaded anyway keep it.

/** the file's text, through Sys once it is loaded, else node:fs */
export function readText(path: string): string {
  return sysLoaded() ? readFile(path) : fs.readFileSync(path, "utf8");
}

/** whether the path exists, through Sys once it is loaded, else node:fs */
export function pathExists(path: string): boolean {
  return sysLoaded() ? exists(path) : fs.existsSync(path);
}

/** all of text to fd (stdout, stderr, a log), through Sys (loaded with the verbs' batch if need be) */
export function writeAll(fd: number, text: string): void {
  writeBytes(sysLoaded() ? realSys() : realSys("verbs"), fd, bytes(text));
}

/** all of b to fd: write(2) until none is left (a pipe or socket may take part of it) */
export function writeBytes(sys: Sys, fd: number, b: Buffer): void {
  for (let off = 0; off < b.length;) off += sys.write(fd, b.subarray(off));
}
