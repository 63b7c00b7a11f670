// Cases and requirements. A case sets up one scenario (usually one container) and gives a verdict
// on each requirement it declares; a requirement left without a verdict (the case threw, timed
// out, or the runtime refused the config) is `not ok` with the reason. Cases are independent:
// each has its own ids, bundles and cleanup, which runs even when the case fails.
import * as fs from "node:fs";
import * as path from "node:path";
import { Runtime, Exec, describe } from "./runtime";
import { writeBundle, copyRootfs, Config } from "./bundle";
import { HostFacts, alive, procFile, nsLink } from "./host";

export type SpecFile = "runtime.md" | "config.md" | "config-linux.md";

export interface Requirement { id: string; spec: SpecFile; section: string; text: string }

export interface Verdict { status: "pass" | "fail" | "skip"; detail?: string }

export interface CaseDef {
  name: string;
  spec: SpecFile;
  /** requirement id → [section anchor of the spec file, requirement text] */
  reqs: Record<string, [string, string]>;
  /** a reason when the host cannot test this case at all */
  skip?: (h: HostFacts) => string | undefined;
  timeoutMs?: number;
  run: (t: Ctx) => Promise<void>;
}

export const CASES: CaseDef[] = [];
export function defineCase(c: CaseDef): void { CASES.push(c); }

export function requirements(c: CaseDef): Requirement[] {
  return Object.entries(c.reqs).map(([id, [section, text]]) => ({ id, spec: c.spec, section, text }));
}

/** a started container: its id, host pid and bundle */
export interface Container { id: string; pid: number; bundle: string; create: Exec }

let idCounter = 0;

export class Ctx {
  readonly verdicts = new Map<string, Verdict>();
  private cleanups: (() => unknown)[] = [];
  private ids: string[] = [];
  private pids = new Map<number, string>();
  private bundles = 0;

  constructor(readonly def: CaseDef, readonly rt: Runtime, readonly host: HostFacts, readonly dir: string) {}

  private known(id: string): void {
    if (!(id in this.def.reqs)) throw new Error(`suite bug: ${id} is not a requirement of case ${this.def.name}`);
  }

  pass(id: string, detail?: string): void { this.known(id); if (!this.verdicts.has(id)) this.verdicts.set(id, { status: "pass", detail }); }
  fail(id: string, detail: string): void { this.known(id); this.verdicts.set(id, { status: "fail", detail }); }
  skip(id: string, reason: string): void { this.known(id); this.verdicts.set(id, { status: "skip", detail: reason }); }
  check(id: string, ok: boolean, detail: string): boolean { ok ? this.pass(id) : this.fail(id, detail); return ok; }

  /** deep-equal check: the message shows what was wanted and what the host shows */
  eq(id: string, actual: unknown, expected: unknown, what = "value"): boolean {
    const a = JSON.stringify(actual), e = JSON.stringify(expected);
    return this.check(id, a === e, `${what}: expected ${e}, got ${a}`);
  }

  /** runs a check body; an exception fails only that requirement */
  async verify(id: string, body: () => unknown): Promise<void> {
    try { await body(); } catch (e) { this.fail(id, (e as Error).message); }
  }

  defer(fn: () => unknown): void { this.cleanups.push(fn); }

  /** a unique container id with the suite's prefix; every id is force-deleted at cleanup */
  newId(tag: string): string {
    const id = `tsrunc-conf-${tag}-${process.pid}-${idCounter++}`;
    this.ids.push(id);
    return id;
  }

  /** a fresh directory inside the case's work dir */
  mkdir(name: string): string {
    const d = path.join(this.dir, `${name}-${this.bundles++}`);
    fs.mkdirSync(d, { recursive: true });
    return d;
  }

  bundle(edit: (c: Config) => void = () => {}, opts: { writableRootfs?: (rootfs: string) => void } = {}): string {
    const dir = this.mkdir("bundle");
    if (opts.writableRootfs) {
      const rootfs = copyRootfs(path.join(dir, "rootfs"));
      opts.writableRootfs(rootfs);
      return writeBundle(dir, (c) => { c.root = { path: rootfs, readonly: false }; edit(c); });
    }
    return writeBundle(dir, edit);
  }

  /** create, or throw with the runtime's error: the case's open requirements then fail with it */
  async create(id: string, bundle: string): Promise<Container> {
    const create = await this.rt.create(id, bundle);
    if (create.code !== 0) throw new Error(describe(create));
    const { exec, state } = await this.rt.state(id);
    if (!state) throw new Error(`after create: ${describe(exec)}`);
    this.pids.set(state.pid, id);
    return { id, pid: state.pid, bundle, create };
  }

  async start(c: Container): Promise<void> {
    const r = await this.rt.start(c.id);
    if (r.code !== 0) throw new Error(describe(r));
  }

  /** create + start a container running `args` and wait until the process runs them */
  async started(edit: (c: Config) => void = () => {}, opts: { tag?: string; writableRootfs?: (r: string) => void } = {}): Promise<Container> {
    let args: string[] = [];
    const b = this.bundle((c) => { edit(c); args = c.process.args; }, opts);
    const c = await this.create(this.newId(opts.tag ?? "c"), b);
    await this.start(c);
    await this.waitExec(c.pid, args);
    return c;
  }

  /** waits until the process has exec'd the container's program (runc's start returns before) */
  async waitExec(pid: number, args: string[], ms = 10_000): Promise<void> {
    const want = args.join("\0") + "\0";
    await this.waitFor(() => { try { return procFile(pid, "cmdline") === want; } catch { return false; } }, `pid ${pid} to run ${args.join(" ")}`, ms);
  }

  async waitFor(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      if (this.rt.aborted) throw new Error("case aborted");
      await Bun.sleep(20);
    }
  }

  /** foreground `run` of a container whose program prints what the case checks */
  async runOnce(edit: (c: Config) => void, opts: { tag?: string; writableRootfs?: (r: string) => void } = {}): Promise<Exec> {
    const b = this.bundle(edit, opts);
    return this.rt.run(this.newId(opts.tag ?? "run"), b);
  }

  /** like runOnce, but a non-zero exit (or a refused config) throws */
  async output(edit: (c: Config) => void, opts: { tag?: string; writableRootfs?: (r: string) => void } = {}): Promise<string> {
    const r = await this.runOnce(edit, opts);
    if (r.code !== 0) throw new Error(describe(r));
    return r.stdout;
  }

  /** the container's stdout so far (what its process wrote to the create call's stdout) */
  containerOutput(c: Container): string { return fs.readFileSync(c.create.outFile, "utf8"); }

  notePid(pid: number, id = "?"): void { if (pid > 0) this.pids.set(pid, id); }

  /** force-deletes every container of the case, kills what a broken runtime left, runs deferred cleanups */
  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    // a fresh Runtime: the case's own is aborted after a timeout, and the case's code may still be
    // running; it must not be able to use the runtime again
    const rt = new Runtime(this.rt.bin, this.rt.root, this.rt.dir, 20_000);
    for (const id of this.ids.reverse()) {
      const r = await rt.delete(id, true).catch((e) => ({ code: -1, stderr: String(e) }) as Exec);
      // "container does not exist" is the expected answer for ids that were never created
      if (r.code !== 0 && !/not exist|not found|no such|does not exist|doesn't exist/i.test(r.stderr)) problems.push(`delete --force ${id}: ${r.stderr.trim().slice(0, 200)}`);
    }
    for (const [pid, id] of this.pids) {
      // a killed process may still be exiting when delete returns
      for (let i = 0; i < 100 && alive(pid); i++) await Bun.sleep(20);
      let ours = false;
      try { ours = procFile(pid, "cgroup").includes("tsrunc-conf-") || nsLink(pid, "pid") !== nsLink("self", "pid"); } catch { /* gone */ }
      if (alive(pid) && ours) {
        problems.push(`process ${pid} of ${id} (${procFile(pid, "cmdline").replace(/\0/g, " ").trim()}) still ran after delete --force; killed`);
        try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
      }
    }
    for (const fn of this.cleanups.reverse()) {
      try { await fn(); } catch (e) { problems.push(`cleanup: ${(e as Error).message}`); }
    }
    return problems;
  }
}
