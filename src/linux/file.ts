// Whole-file reads and writes through Sys, for the init engine's and create's hot paths (see
// lazy-fs.ts): small files, under /proc, the state directory and the cgroup trees.
import { O, realSys, type Sys } from "../sys";

export function readFile(path: string, sys: Sys = realSys()): string {
  const fd = sys.open(path, O.RDONLY | O.CLOEXEC, 0);
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const b = Buffer.alloc(16384);
      const n = sys.read(fd, b);
      if (n === 0) break;
      chunks.push(b.subarray(0, n));
    }
    return Buffer.concat(chunks).toString("utf8");
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
    const b = Buffer.from(data);
    for (let off = 0; off < b.length;) off += sys.write(fd, b.subarray(off));
  } finally {
    sys.close(fd);
  }
}

/** stat(2) succeeds: the path exists (symlinks followed, like fs.existsSync) */
export function exists(path: string, sys: Sys = realSys()): boolean {
  try {
    sys.stat(path);
    return true;
  } catch {
    return false;
  }
}
