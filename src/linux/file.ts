// Whole-file reads and writes through Sys, for the init engine's hot path (see lazy-fs.ts): small
// files, mostly under /proc.
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

/** one write(2), as procfs files want it */
export function writeFile(path: string, data: string, sys: Sys = realSys()): void {
  const fd = sys.open(path, O.WRONLY | O.CLOEXEC, 0);
  try {
    const b = Buffer.from(data);
    for (let off = 0; off < b.length;) off += sys.write(fd, b.subarray(off));
  } finally {
    sys.close(fd);
  }
}
