// Parent ⇄ init messages over a socketpair: one JSON object per line, read and written with
// blocking calls (the init side has no event loop; see the rules in linux/process.ts), through
// Sys rather than node:fs, which the init engine does not load (linux/lazy-fs.ts).
import { realSys } from "../sys";
import { errnoOf } from "../errors";
import { bytes } from "../sys/bytes";
import { writeBytes } from "../linux/file";

export type SyncMsg =
  | { type: "plan"; kind: "create"; plan: import("./init").InitPlan }
  | { type: "plan"; kind: "exec"; exec: import("./exec-stages").ExecPlan }
  | { type: "stage1"; pid: number }
  | { type: "go" }
  | { type: "cgroups"; mountDirs: { name: string; dir: string }[] }
  | { type: "joined" }
  | { type: "netns"; path: string }
  | { type: "userns" }
  | { type: "mapped" }
  | { type: "pid"; pid: number }
  | { type: "ready" }
  | { type: "hooks" }
  | { type: "hooks-done"; pid: number }
  | { type: "debug"; msg: string }
  | { type: "error"; message: string; errno?: number };

export function send(fd: number, msg: SyncMsg): void {
  writeBytes(realSys(), fd, bytes(JSON.stringify(msg) + "\n"));
}

export class SyncReader {
  private buf = "";
  constructor(private fd: number) {}

  /** next message, or null at end of file (every writer closed or died) */
  next(): SyncMsg | null {
    const chunk = Buffer.alloc(4096);
    for (;;) {
      const nl = this.buf.indexOf("\n");
      if (nl >= 0) {
        const text = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        return JSON.parse(text) as SyncMsg;
      }
      let n: number;
      try {
        n = realSys().read(this.fd, chunk);
      } catch (e) {
        if (errnoOf(e) === 11 /* EAGAIN */ || errnoOf(e) === 4 /* EINTR */) continue;
        throw e;
      }
      if (n === 0) return null;
      this.buf += chunk.toString("utf8", 0, n);
    }
  }

  expect(type: SyncMsg["type"], what: string, onDebug?: (msg: string) => void): SyncMsg {
    let m = this.next();
    while (m?.type === "debug") {
      onDebug?.(m.msg);
      m = this.next();
    }
    if (!m) throw new Error(`${what}: the init process exited without a word`);
    if (m.type === "error") throw new InitError(m.message, m.errno);
    if (m.type !== type) throw new Error(`${what}: unexpected message ${JSON.stringify(m)}`);
    return m;
  }
}

/** an error reported by the init side, already worded with its steps */
export class InitError extends Error {
  constructor(message: string, readonly errno?: number) {
    super(message);
    this.name = "InitError";
  }
}
