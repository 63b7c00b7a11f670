// `run -t` without --console-socket: tsrunc itself holds the pty master and copies between it
// and its own stdio, with the host terminal in raw mode so keys reach the container unchanged.
// node:fs on first use: run and exec import this module, and most of them have no terminal to proxy
import { fs } from "../linux/lazy-fs";
import type { Sys } from "../sys";
import { setWinsize } from "../linux/terminal";

export function proxyTerminal(sys: Sys, master: number): { finish(): void } {
  const tty = !!process.stdin.isTTY;
  const resize = () => {
    if (process.stdout.isTTY) setWinsize(sys, master, { height: process.stdout.rows, width: process.stdout.columns });
  };
  resize();
  process.on("SIGWINCH", resize);
  if (tty) process.stdin.setRawMode(true);
  const onInput = (d: Buffer) => { try { fs.writeSync(master, d); } catch { /* container gone */ } };
  process.stdin.on("data", onInput);
  // non-blocking reads on a short timer: a pending threadpool read would swallow the last output
  sys.fcntl(master, 4 /* F_SETFL */, 0o2 | 0o4000 /* O_RDWR|O_NONBLOCK */);
  const buf = Buffer.alloc(16384);
  const drain = () => {
    for (;;) {
      let n = 0;
      try { n = fs.readSync(master, buf, 0, buf.length, null); } catch { return; } // EAGAIN, or EIO: no slave left
      if (n <= 0) return;
      writeAll(1, buf.subarray(0, n));
    }
  };
  const timer = setInterval(drain, 5);
  return {
    finish() {
      clearInterval(timer);
      drain(); // what the container wrote last may still sit in the pty
      process.stdin.off("data", onInput);
      process.stdin.pause();
      process.off("SIGWINCH", resize);
      if (tty) process.stdin.setRawMode(false);
    },
  };
}

function writeAll(fd: number, b: Buffer): void {
  for (let off = 0; off < b.length; ) off += fs.writeSync(fd, b, off);
}
