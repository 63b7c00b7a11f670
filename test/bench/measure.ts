// One sample of each measurement for one runtime. The runner calls these alternately, runtime after
// runtime, so drift on the machine (load, page cache, cgroup churn) hits every runtime alike.
import * as fs from "node:fs";
import * as path from "node:path";
import { timed, withRss, waitStopped, readPid, smapsRollup, firstLine, errSink, timeoutOpts, hungMsg, type Call } from "./proc";
import { bundlePath, type Runtime, type Workload } from "./setup";
import { Results } from "./results";
import { killStragglers } from "./cleanup";

export interface Ctx {
  work: string;
  prefix: string;
  res: Results;
  /** containers that may exist, per runtime: deleted by the cleanup */
  live: Map<string, Set<string>>;
  /** runtimes whose exec failed once: not tried again, reported n/a */
  execBroken: Map<string, string>;
  /** false while warming up: samples are not recorded */
  record: boolean;
}

const cmd = (rt: Runtime, ...args: string[]) => [rt.bin, "--root", rt.root, ...args];

let seq = 0;
function newId(ctx: Ctx, rt: Runtime, tag: string): string {
  const id = `${ctx.prefix}-${rt.name}-${tag}-${++seq}`;
  ctx.live.get(rt.name)!.add(id);
  return id;
}

function pidFile(ctx: Ctx, id: string): string {
  return path.join(ctx.work, "pids", id);
}

/** after a failure: delete --force, and kill what a hung call may have left outside the container */
export function forceDelete(ctx: Ctx, rt: Runtime, id: string): void {
  const r = timed(cmd(rt, "delete", "--force", id));
  killStragglers(ctx.prefix, id);
  if (r.ok || /not exist|does not exist|not found|no such/i.test(r.stderr)) ctx.live.get(rt.name)!.delete(id);
  try {
    fs.rmSync(pidFile(ctx, id), { force: true });
  } catch {}
}

function rec(ctx: Ctx, metric: string, rt: Runtime, v: number): void {
  if (ctx.record) ctx.res.add(metric, rt.name, v);
}

/** records the call's time, or its failure; true when it succeeded */
function took(ctx: Ctx, metric: string, rt: Runtime, c: Call): boolean {
  if (c.ok) rec(ctx, metric, rt, c.ms);
  else ctx.res.fail(metric, rt.name, `exit ${c.code}: ${firstLine(c.stderr)}`);
  return c.ok;
}

function create(ctx: Ctx, rt: Runtime, id: string, w: Workload): Call {
  return timed(cmd(rt, "create", "--bundle", bundlePath(ctx.work, rt, w), "--pid-file", pidFile(ctx, id), id));
}

export function sampleVersion(ctx: Ctx, rt: Runtime): void {
  took(ctx, "version", rt, timed([rt.bin, "--version"]));
}

export function sampleRun(ctx: Ctx, rt: Runtime): void {
  const id = newId(ctx, rt, "run");
  const c = timed(cmd(rt, "run", "--bundle", bundlePath(ctx.work, rt, "true"), id));
  took(ctx, "run", rt, c);
  forceDeleteIfLeft(ctx, rt, id, c.ok);
}

/** `run` deletes its container itself: only a failed one may be left */
function forceDeleteIfLeft(ctx: Ctx, rt: Runtime, id: string, ok: boolean): void {
  if (ok) ctx.live.get(rt.name)!.delete(id);
  else forceDelete(ctx, rt, id);
}

/** create → state (and the parked init's memory) → start → exec → kill → wait → delete */
export function sampleLifecycle(ctx: Ctx, rt: Runtime): void {
  const id = newId(ctx, rt, "life");
  try {
    if (!took(ctx, "create", rt, create(ctx, rt, id, "sleep"))) return;
    const st = timed(cmd(rt, "state", id), { stdout: "pipe" });
    let pid = 0;
    if (took(ctx, "state", rt, st)) {
      try {
        pid = Number(JSON.parse(st.stdout).pid) || 0;
      } catch {
        ctx.res.fail("state", rt.name, `state printed no JSON: ${st.stdout.slice(0, 80)}`);
      }
    }
    pid ||= readPid(pidFile(ctx, id));
    if (!pid) return void ctx.res.fail("state", rt.name, "no pid for the created container (state or --pid-file)");
    const mem = pid ? smapsRollup(pid) : null;
    if (mem) {
      rec(ctx, "init-rss", rt, mem.rss);
      rec(ctx, "init-pss", rt, mem.pss);
      rec(ctx, "init-anon", rt, mem.anon);
    } else ctx.res.fail("init-rss", rt.name, `no /proc/${pid}/smaps_rollup for the created container's pid`);
    if (!took(ctx, "start", rt, timed(cmd(rt, "start", id)))) return;
    if (!ctx.execBroken.has(rt.name)) {
      const ex = timed(cmd(rt, "exec", id, "/bin/true"));
      if (ex.ok) rec(ctx, "exec", rt, ex.ms);
      else ctx.execBroken.set(rt.name, `exit ${ex.code}: ${firstLine(ex.stderr)}`);
    }
    const k = timed(cmd(rt, "kill", id, "KILL"));
    if (!took(ctx, "kill", rt, k)) return;
    const w = waitStopped(pid);
    if (!w.ok) return void ctx.res.fail("waitstop", rt.name, `pid ${pid} still running 10 s after kill`);
    rec(ctx, "waitstop", rt, w.ms);
    const d = timed(cmd(rt, "delete", id));
    if (!took(ctx, "delete", rt, d)) return;
    ctx.live.get(rt.name)!.delete(id);
    rec(ctx, "killwaitdelete", rt, k.ms + w.ms + d.ms);
  } finally {
    if (ctx.live.get(rt.name)!.has(id)) forceDelete(ctx, rt, id);
  }
}

/**
 * start → first output byte: the container runs `echo x` with its stdout on a pipe the bench reads
 * (a detached create hands its own stdio to the container). Timed from start's spawn to the byte.
 */
export async function sampleFirstByte(ctx: Ctx, rt: Runtime): Promise<void> {
  const id = newId(ctx, rt, "echo");
  const crErr = errSink();
  const cr = Bun.spawn(cmd(rt, "create", "--bundle", bundlePath(ctx.work, rt, "echo"), "--pid-file", pidFile(ctx, id), id), {
    stdin: "ignore", stdout: "pipe", stderr: crErr.fd, ...timeoutOpts,
  });
  const reader = cr.stdout.getReader();
  try {
    await cr.exited;
    const crText = crErr.text();
    if (cr.exitCode !== 0) {
      const why = cr.signalCode === "SIGKILL" ? hungMsg() : `exit ${cr.exitCode}: ${firstLine(crText)}`;
      return void ctx.res.fail("firstbyte", rt.name, `create: ${why}`);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stErr = errSink();
    const t0 = performance.now();
    const st = Bun.spawn(cmd(rt, "start", id), { stdin: "ignore", stdout: "ignore", stderr: stErr.fd, ...timeoutOpts });
    const first = await Promise.race([
      reader.read().then((r) => ({ t: performance.now(), r })),
      new Promise<null>((ok) => (timer = setTimeout(() => ok(null), 10_000))),
    ]);
    clearTimeout(timer);
    const code = await st.exited;
    const stText = stErr.text();
    if (code !== 0) ctx.res.fail("firstbyte", rt.name, `start: ${st.signalCode === "SIGKILL" ? hungMsg() : `exit ${code}: ${firstLine(stText)}`}`);
    else if (!first || first.r.done) ctx.res.fail("firstbyte", rt.name, "no output within 10 s");
    else rec(ctx, "firstbyte", rt, first.t - t0);
    const pid = readPid(pidFile(ctx, id));
    if (pid) waitStopped(pid);
    const d = timed(cmd(rt, "delete", id));
    if (d.ok) ctx.live.get(rt.name)!.delete(id);
  } finally {
    reader.cancel().catch(() => {});
    if (ctx.live.get(rt.name)!.has(id)) forceDelete(ctx, rt, id);
  }
}

/** the whole create + start + wait + delete of /bin/true, as an engine drives it */
export function sampleCycle(ctx: Ctx, rt: Runtime): void {
  const id = newId(ctx, rt, "cycle");
  try {
    const t0 = performance.now();
    const c = create(ctx, rt, id, "true");
    if (!c.ok) return void ctx.res.fail("cycle", rt.name, `create: exit ${c.code}: ${firstLine(c.stderr)}`);
    const pid = readPid(pidFile(ctx, id));
    if (!pid) return void ctx.res.fail("cycle", rt.name, "create wrote no --pid-file");
    const s = timed(cmd(rt, "start", id));
    if (!s.ok) return void ctx.res.fail("cycle", rt.name, `start: exit ${s.code}: ${firstLine(s.stderr)}`);
    if (!waitStopped(pid).ok) return void ctx.res.fail("cycle", rt.name, "/bin/true still running after 10 s");
    const d = timed(cmd(rt, "delete", id));
    if (!d.ok) return void ctx.res.fail("cycle", rt.name, `delete: exit ${d.code}: ${firstLine(d.stderr)}`);
    ctx.live.get(rt.name)!.delete(id);
    rec(ctx, "cycle", rt, performance.now() - t0);
  } finally {
    if (ctx.live.get(rt.name)!.has(id)) forceDelete(ctx, rt, id);
  }
}

async function spawnAll(cmds: string[][]): Promise<{ ms: number; failed: string[] }> {
  const errs = cmds.map(() => errSink());
  const t0 = performance.now();
  const ps = cmds.map((c, i) => Bun.spawn(c, { stdin: "ignore", stdout: "ignore", stderr: errs[i].fd, ...timeoutOpts }));
  const codes = await Promise.all(ps.map((p) => p.exited));
  const ms = performance.now() - t0;
  const failed: string[] = [];
  for (let i = 0; i < ps.length; i++) {
    const text = errs[i].text();
    if (codes[i] !== 0) failed.push(ps[i].signalCode === "SIGKILL" ? hungMsg() : `exit ${codes[i]}: ${firstLine(text)}`);
  }
  return { ms, failed };
}

export const PARALLEL = 20;

/** 20 creates at once (wall time, containers/s), then 20 `delete --force` at once */
export async function sampleParallel(ctx: Ctx, rt: Runtime): Promise<void> {
  const ids = Array.from({ length: PARALLEL }, () => newId(ctx, rt, "par"));
  try {
    const c = await spawnAll(ids.map((id) => cmd(rt, "create", "--bundle", bundlePath(ctx.work, rt, "true"), id)));
    if (c.failed.length) ctx.res.fail("par-create", rt.name, `${c.failed.length}/${PARALLEL} failed, e.g. ${c.failed[0]}`);
    else {
      rec(ctx, "par-create", rt, c.ms);
      rec(ctx, "par-rate", rt, (PARALLEL * 1000) / c.ms);
    }
    const d = await spawnAll(ids.map((id) => cmd(rt, "delete", "--force", id)));
    // after a failed create the deletes are only cleanup: timing them would compare unlike work
    if (d.failed.length && !c.failed.length) ctx.res.fail("par-delete", rt.name, `${d.failed.length}/${PARALLEL} failed, e.g. ${d.failed[0]}`);
    else if (!d.failed.length) {
      if (!c.failed.length) rec(ctx, "par-delete", rt, d.ms);
      for (const id of ids) ctx.live.get(rt.name)!.delete(id);
    }
  } finally {
    for (const id of ids) if (ctx.live.get(rt.name)!.has(id)) forceDelete(ctx, rt, id);
  }
}

/** the same calls through /usr/bin/time, for each call's peak RSS (wait4 ru_maxrss), KiB */
export function sampleMemory(ctx: Ctx, rt: Runtime): void {
  const kib = (metric: string, c: ReturnType<typeof withRss>) => {
    if (c.ok) rec(ctx, metric, rt, c.kib);
    else if (!(metric === "rss-exec" && ctx.execBroken.has(rt.name))) ctx.res.fail(metric, rt.name, `exit ${c.code}: ${firstLine(c.stderr)}`);
    return c.ok;
  };
  kib("rss-version", withRss([rt.bin, "--version"]));
  const rid = newId(ctx, rt, "memrun");
  const r = withRss(cmd(rt, "run", "--bundle", bundlePath(ctx.work, rt, "true"), rid));
  kib("rss-run", r);
  forceDeleteIfLeft(ctx, rt, rid, r.ok);
  const id = newId(ctx, rt, "mem");
  try {
    const pf = pidFile(ctx, id);
    if (!kib("rss-create", withRss(cmd(rt, "create", "--bundle", bundlePath(ctx.work, rt, "sleep"), "--pid-file", pf, id)))) return;
    kib("rss-state", withRss(cmd(rt, "state", id)));
    if (!kib("rss-start", withRss(cmd(rt, "start", id)))) return;
    if (!ctx.execBroken.has(rt.name)) kib("rss-exec", withRss(cmd(rt, "exec", id, "/bin/true")));
    if (!kib("rss-kill", withRss(cmd(rt, "kill", id, "KILL")))) return;
    waitStopped(readPid(pf));
    if (kib("rss-delete", withRss(cmd(rt, "delete", id)))) ctx.live.get(rt.name)!.delete(id);
  } finally {
    if (ctx.live.get(rt.name)!.has(id)) forceDelete(ctx, rt, id);
  }
}

/** the engine floor, timed and measured like `--version` */
export function sampleFloor(ctx: Ctx, bin: string): void {
  const t = timed([bin]);
  if (t.ok && ctx.record) ctx.res.add("version", "floor", t.ms);
  const m = withRss([bin]);
  if (m.ok && ctx.record) ctx.res.add("rss-version", "floor", m.kib);
}
