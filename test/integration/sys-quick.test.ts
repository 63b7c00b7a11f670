// The bun:ffi calls (src/sys/quick.ts) against the real libc.
import { expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { quickSys } from "../../src/sys/quick";

test("writeInBackground returns while its write(2) blocks, and the write lands", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrunc-quick-"));
  const fifo = path.join(dir, "fifo");
  try {
    Bun.spawnSync(["mkfifo", fifo]);
    const fd = fs.openSync(fifo, "r+"); // O_RDWR: neither end blocks on open
    try {
      // a full pipe: the next write(2) blocks until we read; done on our thread it would hang here
      expect(fs.writeSync(fd, Buffer.alloc(65536, "x"))).toBe(65536);
      quickSys().writeInBackground(fifo, "1234");
      const buf = Buffer.alloc(65536 + 4);
      let n = 0;
      while (n < buf.length) n += fs.readSync(fd, buf, n, buf.length - n, null);
      expect(buf.subarray(65536).toString()).toBe("1234");
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("read and waitpid", () => {
  const q = quickSys();
  const fd = q.open("/proc/self/stat", 0o2000000, 0);
  const buf = new Uint8Array(64);
  const n = q.read(fd, buf);
  q.close(fd);
  expect(new TextDecoder().decode(buf.subarray(0, n))).toStartWith(`${process.pid} (`);
  // posix_spawn'd behind Bun's back, so no one else reaps it
  const pid = q.posixSpawn("/bin/sh", ["sh", "-c", "exit 3"], []);
  const r = q.waitpid(pid, 0);
  expect(r.pid).toBe(pid);
  expect((r.status >> 8) & 0xff).toBe(3);
});
