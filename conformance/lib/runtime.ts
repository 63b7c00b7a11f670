// Runs the runtime under test with runc's command line (`--root DIR create|start|state|kill|delete|run`).
// Every call has a timeout: a hung runtime is killed and its case reported `not ok`, so the suite
// itself never hangs. Output goes to files, not pipes: a detached container inherits the runtime's
// stdout/stderr (terminal: false), and a pipe would stay open until the container exits.
import * as fs from "node:fs";
import * as path from "node:path";

export interface Exec {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** the file the runtime's (and so a created container's) stdout went to */
  outFile: string;
}

export class Aborted extends Error {}

/** one runtime, one --root; `dir` holds the output files of the calls */
export class Runtime {
  private n = 0;
  private live = new Set<ReturnType<typeof Bun.spawn>>();
  aborted = false;

  constructor(readonly bin: string, readonly root: string, readonly dir: string, readonly timeoutMs = 20_000) {}

  async exec(args: string[], timeoutMs = this.timeoutMs, withRoot = true): Promise<Exec> {
    if (this.aborted) throw new Aborted("case aborted (timeout)");
    const k = this.n++;
    const outFile = path.join(this.dir, `call-${k}.out`);
    const errFile = path.join(this.dir, `call-${k}.err`);
    const out = fs.openSync(outFile, "w");
    const err = fs.openSync(errFile, "w");
    const full = withRoot ? ["--root", this.root, ...args] : args;
    let timedOut = false;
    let proc: ReturnType<typeof Bun.spawn>;
    try {
      // setsid(1) execs in place (the child is no group leader): a timeout kills the runtime's
      // whole process group, not only the runtime
      proc = Bun.spawn(["setsid", this.bin, ...full], { stdio: ["ignore", out, err], cwd: this.dir, env: process.env });
    } finally {
      fs.closeSync(out);
      fs.closeSync(err);
    }
    this.live.add(proc);
    const timer = setTimeout(() => { timedOut = true; killGroup(proc.pid); }, timeoutMs);
    const code = await proc.exited;
    clearTimeout(timer);
    this.live.delete(proc);
    const r: Exec = {
      args: full, code: timedOut ? -1 : code, timedOut, outFile,
      stdout: fs.readFileSync(outFile, "utf8"), stderr: fs.readFileSync(errFile, "utf8"),
    };
    if (this.aborted) throw new Aborted("case aborted (timeout)");
    return r;
  }

  /** stops every call in flight; later calls throw */
  abort(): void {
    this.aborted = true;
    for (const p of this.live) killGroup(p.pid);
  }

  create(id: string, bundle: string): Promise<Exec> { return this.exec(["create", "--bundle", bundle, id]); }
  start(id: string): Promise<Exec> { return this.exec(["start", id]); }
  kill(id: string, signal = "KILL"): Promise<Exec> { return this.exec(["kill", id, signal]); }
  delete(id: string, force = false): Promise<Exec> { return this.exec(force ? ["delete", "--force", id] : ["delete", id]); }
  /** foreground run: the container's stdout/stderr are the call's */
  run(id: string, bundle: string): Promise<Exec> { return this.exec(["run", "--bundle", bundle, id]); }

  async state(id: string): Promise<{ exec: Exec; state?: Record<string, any> }> {
    const exec = await this.exec(["state", id]);
    if (exec.code !== 0) return { exec };
    try { return { exec, state: JSON.parse(exec.stdout) }; } catch { return { exec }; }
  }
}

function killGroup(pid: number): void {
  try { process.kill(-pid, "SIGKILL"); } catch { try { process.kill(pid, "SIGKILL"); } catch { /* gone */ } }
}

/** "create exited 1: <first line of stderr>" for failure messages */
export function describe(e: Exec): string {
  const verb = e.args[2] ?? "?";
  const msg = (e.stderr || e.stdout).trim().split("\n").filter(Boolean).slice(-2).join(" | ").slice(0, 400);
  return e.timedOut ? `${verb} timed out` : `${verb} exited ${e.code}${msg ? ": " + msg : ""}`;
}
