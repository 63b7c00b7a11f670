// Integration test helpers: real containers from the compiled tsrunc, a busybox rootfs, and a
// cleanup that leaves the host as it was even when a test fails.
import * as fs from "node:fs";
import * as path from "node:path";

export const TSRUNC = process.env.TSRUNC ?? path.resolve(import.meta.dir, "../../dist/tsrunc");
export const ROOTFS = process.env.TSRUNC_ROOTFS ?? path.resolve(import.meta.dir, "../.rootfs");
export const ROOT = "/run/tsrunc-test";
const WORK = "/tmp/tsrunc-test-bundles";

export interface Result { code: number; stdout: string; stderr: string }

/** runs tsrunc; `outFile` sends the container's stdout/stderr to a file (detached containers) */
export function tsrunc(args: string[], opts: { outFile?: string; env?: Record<string, string>; root?: string } = {}): Result {
  const out = opts.outFile ? Bun.file(opts.outFile) : "pipe";
  const p = Bun.spawnSync([TSRUNC, "--root", opts.root ?? ROOT, ...args], {
    stdin: "ignore", stdout: out, stderr: opts.outFile ? out : "pipe",
    env: { ...process.env, ...(opts.env ?? {}) },
  });
  return { code: p.exitCode ?? -1, stdout: p.stdout?.toString() ?? "", stderr: p.stderr?.toString() ?? "" };
}

/** like tsrunc() but fails the test with tsrunc's stderr when the call fails */
export function ok(args: string[], opts: Parameters<typeof tsrunc>[1] = {}): Result {
  const r = tsrunc(args, opts);
  if (r.code !== 0) throw new Error(`tsrunc ${args.join(" ")} exited ${r.code}: ${r.stderr}${opts.outFile ? fs.readFileSync(opts.outFile, "utf8") : ""}`);
  return r;
}

const made: string[] = [];
let counter = 0;

/** a unique container id; every id handed out is force-deleted after each test */
export function newId(tag: string): string {
  const id = `tsrunc-test-${tag}-${process.pid}-${counter++}`;
  made.push(id);
  return id;
}

export type Config = Record<string, any>;

/** a bundle whose config.json comes from `tsrunc spec`, then `edit` */
export function bundle(args: string[], edit: (c: Config) => void = () => {}, rootfs = ROOTFS): string {
  const dir = path.join(WORK, `b-${process.pid}-${counter++}`);
  fs.mkdirSync(dir, { recursive: true });
  ok(["spec", "--bundle", dir]);
  const c = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
  c.root = { path: rootfs, readonly: true };
  c.process.terminal = false;
  c.process.args = args;
  edit(c);
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(c, null, 2));
  return dir;
}

/** a private, writable copy of the busybox rootfs (for tests that plant files in it) */
export function rootfsCopy(): string {
  const dir = path.join(WORK, `rootfs-${process.pid}-${counter++}`);
  fs.cpSync(ROOTFS, dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

export function state(id: string): Record<string, any> {
  return JSON.parse(ok(["state", id]).stdout);
}

/** starts `sleep` detached and returns its host pid */
export function runDetached(id: string, b: string): number {
  ok(["run", "-d", "-b", b, id], { outFile: path.join(WORK, `${id}.out`) });
  return state(id).pid;
}

export function waitFor(pred: () => boolean, what: string, ms = 5000): void {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    Bun.sleepSync(10);
  }
}

export function procFile(pid: number, file: string): string {
  return fs.readFileSync(`/proc/${pid}/${file}`, "utf8");
}

export function statusField(pid: number, field: string): string {
  const line = procFile(pid, "status").split("\n").find((l) => l.startsWith(field + ":"));
  return (line ?? "").slice(field.length + 1).trim();
}

/** force-deletes every container the test made; each test file registers it with afterEach */
export function cleanup(): void {
  while (made.length) {
    const id = made.pop()!;
    const r = tsrunc(["delete", "--force", id]);
    if (r.code !== 0 || r.stderr) console.error(`cleanup of ${id}: ${r.stderr}`);
  }
  for (const f of fs.existsSync(WORK) ? fs.readdirSync(WORK) : []) fs.rmSync(path.join(WORK, f), { recursive: true, force: true });
  // the state root itself, once empty: tsrunc makes it again when a test needs it
  try { fs.rmdirSync(ROOT); } catch { /* not empty (a test's own leftovers show in check-clean.sh) or gone */ }
}
