// The measuring half of the bench, inside its private mount namespace.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Options } from "./run";
import {
  resolveRuntimes, prepareNamespace, makeRootfsAndBundles, buildFloor, bundlePath, runtimeVersion,
  machineFacts, busyProcesses, cpuSnap, foreignCpu, isMountpoint, clearFakeUnified, type Runtime,
} from "./setup";
import {
  sampleVersion, sampleRun, sampleLifecycle, sampleFirstByte, sampleCycle, sampleParallel, sampleMemory, sampleFloor,
  forceDelete, type Ctx,
} from "./measure";
import { Results, median } from "./results";
import { renderReport, writeReport, parseTimeline, type ReportInput } from "./report";
import { deleteContainers, killStragglers, sweepCgroups, unmount } from "./cleanup";
import { timed, setErrDir, setCallTimeout } from "./proc";

let aborted = "";

class Interrupted extends Error {}

/** between samples: lets signal handlers run (spawnSync blocks the event loop) and stops on one */
async function checkpoint(): Promise<void> {
  await Bun.sleep(0);
  if (aborted) throw new Interrupted(`interrupted by ${aborted}`);
}

function progress(msg: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${msg}`);
  else if (!/ \d+\/\d+$/.test(msg) || / 1\/\d+$/.test(msg)) process.stderr.write(`${msg}\n`);
}

type Sampler = (ctx: Ctx, rt: Runtime) => void | Promise<void>;

/** rounds × runtimes, alternating: A B C A B C ... */
async function phase(ctx: Ctx, runtimes: Runtime[], name: string, rounds: number, warmup: number, fn: Sampler, after?: () => void): Promise<void> {
  for (let i = -warmup; i < rounds; i++) {
    ctx.record = i >= 0;
    progress(`bench: ${name} ${i < 0 ? "warm-up" : `${i + 1}/${rounds}`}`);
    for (const rt of runtimes) {
      await fn(ctx, rt);
      await checkpoint();
    }
    after?.();
    clearFakeUnified(ctx.prefix);
  }
}

/** tsrunc once more with --debug --log FILE, a few times; the run nearest the median is shown */
function debugTimeline(ctx: Ctx, rt: Runtime, runs: number): ReportInput["timeline"] {
  const med = ctx.res.median("run", rt.name);
  const tries: { wallMs: number; raw: string[] }[] = [];
  for (let i = 0; i < runs; i++) {
    const id = `${ctx.prefix}-${rt.name}-debug-${i}`;
    ctx.live.get(rt.name)!.add(id);
    const log = path.join(ctx.work, `debug-${i}.log`);
    const c = timed([rt.bin, "--root", rt.root, "--debug", "--log", log, "run", "--bundle", bundlePath(ctx.work, rt, "true"), id]);
    if (c.ok) ctx.live.get(rt.name)!.delete(id);
    else forceDelete(ctx, rt, id);
    const raw = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
    if (c.ok) tries.push({ wallMs: c.ms, raw });
  }
  if (!tries.length) return undefined;
  const ref = Number.isFinite(med) ? med : median(tries.map((t) => t.wallMs));
  const best = tries.reduce((a, b) => (Math.abs(b.wallMs - ref) < Math.abs(a.wallMs - ref) ? b : a));
  return { wallMs: best.wallMs, medianMs: med, steps: parseTimeline(best.raw), raw: best.raw };
}

export async function inner(o: Options): Promise<number> {
  const t0 = performance.now();
  if (!o.hostMntNs || fs.readlinkSync("/proc/self/ns/mnt") === o.hostMntNs) {
    console.error("bench: --inner runs only in the private mount namespace the bench makes for it");
    return 2;
  }
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as NodeJS.Signals[]) process.on(s, () => { aborted ||= s; });
  setCallTimeout(o.callTimeoutS);
  const stateDir = path.join(o.work, "state");
  const runtimes = resolveRuntimes(o.runtimes, stateDir);
  const ctx: Ctx = { work: o.work, prefix: o.prefix, res: new Results(), live: new Map(runtimes.map((r) => [r.name, new Set<string>()])), execBroken: new Map(), record: false };
  const notes: string[] = [];
  let status = 1;
  try {
    notes.push(...prepareNamespace(stateDir));
    fs.mkdirSync(path.join(o.work, "pids"), { recursive: true });
    fs.mkdirSync(path.join(o.work, "stderr"), { recursive: true });
    setErrDir(path.join(o.work, "stderr"));
    progress("bench: checking for other load (1 s)");
    const busyBefore = busyProcesses(1000);
    makeRootfsAndBundles(o.work, runtimes);
    const versions = Object.fromEntries(runtimes.map((r) => [r.name, `${runtimeVersion(r.bin)} (${r.bin})`]));
    const facts = machineFacts();
    let floor: { bin: string; flags: string[] } | undefined;
    if (o.only.includes("version")) {
      progress("bench: building the engine floor (empty Bun program)");
      floor = buildFloor(o.work);
    }
    const snap0 = cpuSnap();
    const has = (p: string) => o.only.includes(p);
    if (has("version")) await phase(ctx, runtimes, "--version", o.n, o.warmup, sampleVersion, floor ? () => sampleFloor(ctx, floor!.bin) : undefined);
    if (has("run")) await phase(ctx, runtimes, "run /bin/true", o.n, o.warmup, sampleRun);
    if (has("lifecycle")) await phase(ctx, runtimes, "create/state/start/exec/kill/delete", o.n, o.warmup, sampleLifecycle);
    if (has("firstbyte")) await phase(ctx, runtimes, "start → first byte", o.n, o.warmup, sampleFirstByte);
    if (has("cycle")) await phase(ctx, runtimes, "create+start+wait+delete", o.n, o.warmup, sampleCycle);
    if (has("parallel")) await phase(ctx, runtimes, "20 parallel creates/deletes", o.n, o.warmup, sampleParallel);
    if (has("memory")) await phase(ctx, runtimes, "peak RSS", o.memN, 0, sampleMemory);
    const snap1 = cpuSnap();
    const ts = runtimes.find((r) => r.name === "tsrunc");
    let timeline: ReportInput["timeline"];
    if (ts && has("timeline") && o.debugRuns > 0) {
      progress("bench: tsrunc --debug timeline");
      timeline = debugTimeline(ctx, ts, o.debugRuns);
    }
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    const busyAfter = busyProcesses(1000);
    const other = foreignCpu(snap0, snap1);
    const contention = [
      `other processes used ${other.toFixed(2)} of ${navigator.hardwareConcurrency} CPUs on average during the measurements${other > 0.25 ? " (contended: read ratios with care)" : " (quiet: the bench's own kernel work, e.g. namespace teardown, counts here too)"}`,
      ...[...new Set([...busyBefore, ...busyAfter].map((b) => b.replace(/^\d+% /, "")))].slice(0, 5).map((b) => `busy at start/end: ${b}`),
    ];
    const date = new Date().toISOString().slice(0, 10);
    const report = renderReport({
      date, runtimes: runtimes.map((r) => r.name), n: o.n, memN: o.memN, warmup: o.warmup, res: ctx.res, facts, versions,
      floorFlags: floor?.flags ?? [], execBroken: ctx.execBroken, timeline, contention, notes, elapsedS: (performance.now() - t0) / 1000,
    });
    // the terminal gets the tables; the per-measurement spread is only in the file
    console.log(report.replace(/<details>[\s\S]*<\/details>\n*/, ""));
    if (o.write) {
      writeReport(o.out, report);
      console.error(`bench: results written to ${path.relative(process.cwd(), o.out) || o.out}`);
    }
    status = 0;
  } catch (e) {
    if (process.stderr.isTTY) process.stderr.write("\n");
    console.error(`bench: ${e instanceof Interrupted ? e.message : e instanceof Error ? e.stack ?? e.message : String(e)}`);
    status = e instanceof Interrupted ? 130 : 1;
  } finally {
    const n = deleteContainers(runtimes, ctx.live, o.prefix);
    if (n) console.error(`bench: deleted ${n} leftover container(s)`);
    const k = killStragglers(o.prefix);
    if (k.length) console.error(`bench: killed ${k.length} leftover process(es) of the bench's containers: ${k.join(" ")}`);
    sweepCgroups(o.prefix);
    for (const m of [stateDir, "/sys/fs/cgroup/unified"]) if (isMountpoint(m)) unmount(m);
  }
  return status;
}
