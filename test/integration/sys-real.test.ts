// src/sys against the real libc, through both FFIs: Bun's (ffi.ts) and koffi (koffi.ts, the one
// an engine without the JIT uses). The struct layouts are libc.ts's, shared by both.
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createLibcSys } from "../../src/sys/libc";
import { ffiBackend } from "../../src/sys/ffi";
import { koffiBackend } from "../../src/sys/koffi";
import { O, RESOLVE, S_IF } from "../../src/sys";

for (const [name, backend] of [["bun:ffi", ffiBackend], ["koffi", koffiBackend]] as const) {
  describe(`libc through ${name}`, () => {
    const sys = createLibcSys(backend());

    test("writeInBackground returns while its write(2) blocks, and the write lands", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrunc-sys-"));
      const fifo = path.join(dir, "fifo");
      try {
        Bun.spawnSync(["mkfifo", fifo]);
        const fd = fs.openSync(fifo, "r+"); // O_RDWR: neither end blocks on open
        try {
          // a full pipe: the next write(2) blocks until we read; done on our thread it would hang here
          expect(fs.writeSync(fd, Buffer.alloc(65536, "x"))).toBe(65536);
          sys.writeInBackground(fifo, "1234");
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

    test("strings, buffers and structs: open, read, write, socketpair, openat2, fstat, errno", () => {
      const fd = sys.open("/proc/self/stat", O.RDONLY | O.CLOEXEC, 0);
      const buf = new Uint8Array(64);
      const n = sys.read(fd, buf);
      sys.close(fd);
      expect(new TextDecoder().decode(buf.subarray(0, n))).toStartWith(`${process.pid} (`);
      const [a, b] = sys.socketpair();
      expect(sys.write(a, Buffer.from("ping"))).toBe(4);
      const got = new Uint8Array(8);
      expect(new TextDecoder().decode(got.subarray(0, sys.read(b, got)))).toBe("ping");
      sys.close(a); sys.close(b);
      // struct open_how and struct stat, laid out by hand
      const root = sys.open("/", O.PATH | O.DIRECTORY | O.CLOEXEC, 0);
      const null_ = sys.openat2(root, "dev/null", O.PATH | O.CLOEXEC, 0, RESOLVE.NO_MAGICLINKS);
      const st = sys.fstat(null_);
      expect(st.mode & 0o170000).toBe(S_IF.CHR);
      expect(st.rdev).toBe(0x103); // 1:3
      sys.close(null_);
      expect(() => sys.openat2(root, "nonexistent", O.PATH | O.CLOEXEC, 0, 0)).toThrow(/openat2.*ENOENT/);
      sys.close(root);
    });

    test("posix_spawn: argv, our environment plus the given variables (not left set in ours), and waitpid", () => {
      // posix_spawn'd behind Bun's back, so no one else reaps them
      const run = (script: string, env: Record<string, string>) => {
        const pid = sys.posixSpawn("/bin/sh", ["sh", "-c", script], env);
        const r = sys.waitpid(pid, 0);
        expect(r.pid).toBe(pid);
        return (r.status >> 8) & 0xff;
      };
      expect(run('[ -n "$PATH" ] && exit "$TSRUNC_TEST_CODE"', { TSRUNC_TEST_CODE: "3" })).toBe(3);
      expect(run('[ -z "${TSRUNC_TEST_CODE+set}" ] && exit 4', {})).toBe(4);
      // a variable we already have gets the given value in the child, and ours back after
      expect(run('[ "$PATH" = /x ] && exit 5', { PATH: "/x" })).toBe(5);
      expect(run('[ "$PATH" != /x ] && exit 6', {})).toBe(6);
    });

    test("closeInBackground closes the fd (on a thread of its own)", () => {
      const fd = sys.open("/dev/null", 0o2000000, 0);
      sys.closeInBackground(fd);
      let open = true;
      for (let i = 0; i < 1000 && open; i++) {
        try { sys.fcntl(fd, 1 /* F_GETFD */, 0); Bun.sleepSync(1); } catch (e) { expect(String(e)).toContain("EBADF"); open = false; }
      }
      expect(open).toBe(false);
    });

    test("capget reads this process's capability sets", () => {
      const status = fs.readFileSync("/proc/self/status", "latin1");
      const eff = BigInt("0x" + /^CapEff:\s*([0-9a-f]+)/m.exec(status)![1]);
      expect(sys.capget().effective).toBe(eff);
    });
  });
}
