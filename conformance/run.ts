// The runtime-spec conformance suite's runner.
//
//   bun conformance/run.ts --runtime /path/to/runtime [--json report.json] [--baseline FILE]
//                          [--write-baseline FILE] [--private-cgroup-ns] [--only SUBSTRING] [--list]
//
// Prints TAP 13 (one line per requirement), a summary by spec file as TAP comments, writes a JSON
// report (default conformance/results/<runtime basename>.json) and, with --baseline, exits 1 when
// a baselined requirement no longer passes. The count of requirements and passes is printed last.
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { CASES, Ctx, requirements, CaseDef } from "./lib/case";
import { Runtime } from "./lib/runtime";
import { ensureRootfs, WORK } from "./lib/bundle";
import { hostFacts, HostFacts, procFile } from "./lib/host";
import { Result, tapLine, summaryLines, writeJson, readBaseline, compareBaseline, count } from "./lib/report";
import "./cases/runtime";
import "./cases/config-root-mounts";
import "./cases/config-process";
import "./cases/config-hooks";
import "./cases/config-linux-namespaces";
import "./cases/config-linux-devices";
import "./cases/config-linux-cgroups";
import "./cases/config-linux-security";

interface Options { runtime: string; json?: string; baseline?: string; writeBaseline?: string; privateCgroupNs: boolean; only?: string; list: boolean }

function usage(msg?: string): never {
  if (msg) console.error(msg);
  console.error("usage: bun conformance/run.ts --runtime PATH [--json FILE] [--baseline FILE] [--write-baseline FILE]\n" +
    "                            [--private-cgroup-ns] [--only SUBSTR] [--list]");
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { runtime: "", privateCgroupNs: false, list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === "--runtime") o.runtime = val();
    else if (a === "--json") o.json = val();
    else if (a === "--baseline") o.baseline = val();
    else if (a === "--write-baseline") o.writeBaseline = val();
    else if (a === "--only") o.only = val();
    else if (a === "--private-cgroup-ns") o.privateCgroupNs = true;
    else if (a === "--list") o.list = true;
    else usage(`unknown argument ${a}`);
  }
  if (!o.runtime && !o.list) usage("--runtime is required");
  return o;
}

/**
 * crun refuses hybrid hosts ("cgroups in hybrid mode not supported"): in a private mount namespace
 * without the cgroup2 mount at /sys/fs/cgroup/unified, the host looks like a plain v1 host to it.
 * The runner re-executes itself there, so its own host-side checks see the same hierarchies.
 */
function reexecPrivate(): never {
  // The unmounted mount point is a directory of the host's /sys/fs/cgroup tmpfs, and crun
  // (legacy mode) still creates <path>/cgroup.procs under /sys/fs/cgroup/unified: a throwaway
  // tmpfs, gone with the namespace, keeps those files out of the host's tmpfs.
  const script = "mount --make-rprivate / && { ! mountpoint -q /sys/fs/cgroup/unified || umount /sys/fs/cgroup/unified; } && " +
    'mount -t tmpfs -o size=1m,mode=755 tsrunc-conf-no-cgroup2 /sys/fs/cgroup/unified && exec "$@"';
  const r = spawnSync("unshare", ["-m", "--", "sh", "-c", script, "sh", process.execPath, ...process.argv.slice(1)], {
    stdio: "inherit", env: { ...process.env, TSRUNC_CONF_PRIVATE_NS: "1" },
  });
  process.exit(r.status ?? 1);
}

function caseSkip(c: CaseDef, h: HostFacts): string | undefined {
  try { return c.skip?.(h); } catch { return undefined; }
}

async function runCase(c: CaseDef, rt: Runtime, h: HostFacts, dir: string): Promise<{ verdicts: Ctx["verdicts"]; error?: string; problems: string[] }> {
  const t = new Ctx(c, rt, h, dir);
  const timeoutMs = c.timeoutMs ?? 60_000;
  let error: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => { rt.abort(); reject(new Error(`case timed out after ${timeoutMs / 1000}s`)); }, timeoutMs);
  });
  try {
    const running = c.run(t);
    running.catch(() => {}); // after a timeout the case's own rejection (Aborted) comes later, unobserved
    await Promise.race([running, timeout]);
  } catch (e) {
    error = (e as Error).message || String(e);
  } finally {
    clearTimeout(timer);
  }
  const problems = await t.cleanup();
  return { verdicts: t.verdicts, error, problems };
}

/** leftovers a runtime (or the suite) left: cgroups and processes named after the suite's ids */
function leftovers(): string[] {
  const found: string[] = [];
  const r = spawnSync("find", ["/sys/fs/cgroup", "-maxdepth", "5", "-type", "d", "-name", "tsrunc-conf-*", "(", "-fstype", "cgroup", "-o", "-fstype", "cgroup2", ")"], { encoding: "utf8" });
  for (const d of r.stdout.split("\n").filter(Boolean).sort((a, b) => b.length - a.length)) {
    try { fs.rmdirSync(d); found.push(`cgroup ${d} (removed)`); } catch (e) { found.push(`cgroup ${d} (${(e as Error).message})`); }
  }
  let zombies = 0;
  for (const p of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      if (!procFile(Number(p), "cgroup").includes("/tsrunc-conf-")) continue;
      // an exited container process whose parent is the host's init: this sandbox's PID 1 does
      // not reap orphans, so it stays a zombie; it runs nothing and holds no cgroup
      if (/^State:\s+Z/m.test(procFile(Number(p), "status"))) { zombies++; continue; }
      const cmd = procFile(Number(p), "cmdline").replace(/\0/g, " ").trim().slice(0, 60);
      process.kill(Number(p), "SIGKILL");
      found.push(`process ${p} ${cmd} (killed)`);
    } catch { /* gone */ }
  }
  if (zombies) console.log(`# ${zombies} exited container processes are zombies waiting for the host's init to reap them`);
  return found;
}

async function runtimeVersion(bin: string, dir: string): Promise<string> {
  const r = await new Runtime(bin, "", dir).exec(["--version"], 10_000, false).catch(() => undefined);
  return (r?.stdout || r?.stderr || "").trim().split("\n")[0] ?? "";
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const selected = CASES.filter((c) => !o.only || c.name.includes(o.only) || Object.keys(c.reqs).some((id) => id.includes(o.only!)));
  if (o.list) {
    for (const c of selected) for (const r of requirements(c)) console.log(`${r.id}\t${r.spec}#${r.section}\t${r.text}`);
    return 0;
  }
  const runtime = path.resolve(o.runtime);
  if (!fs.existsSync(runtime)) usage(`no runtime at ${runtime}`);
  const base = path.basename(runtime);
  if ((o.privateCgroupNs || base === "crun") && !process.env.TSRUNC_CONF_PRIVATE_NS && fs.existsSync("/sys/fs/cgroup/unified")) reexecPrivate();
  if (process.getuid?.() !== 0) usage("the suite needs root");

  ensureRootfs();
  const h = hostFacts();
  const root = `/run/tsrunc-conf-${process.pid}`;
  const work = path.join(WORK, `run-${process.pid}`);
  fs.mkdirSync(work, { recursive: true });
  const total = selected.reduce((n, c) => n + Object.keys(c.reqs).length, 0);
  console.log("TAP version 13");
  console.log(`1..${total}`);
  const version = await runtimeVersion(runtime, work);
  console.log(`# runtime: ${runtime} (${version})${process.env.TSRUNC_CONF_PRIVATE_NS ? ", in a private mount namespace without the cgroup2 mount" : ""}`);

  const results: Result[] = [];
  let n = 0;
  for (const c of selected) {
    const reqs = requirements(c);
    const started = Date.now();
    const skip = caseSkip(c, h);
    let out: Awaited<ReturnType<typeof runCase>> = { verdicts: new Map(), problems: [] };
    if (!skip) {
      const dir = path.join(work, c.name);
      fs.mkdirSync(dir, { recursive: true });
      out = await runCase(c, new Runtime(runtime, root, dir), h, dir);
      try { fs.rmSync(dir, { recursive: true, force: true }); } catch (e) { out.problems.push(`rm ${dir}: ${(e as Error).message}`); }
    }
    const ms = Date.now() - started;
    for (const r of reqs) {
      const v = skip ? { status: "skip" as const, detail: skip } : out.verdicts.get(r.id) ?? { status: "fail" as const, detail: out.error ?? "suite bug: the case gave no verdict" };
      const res: Result = { ...r, n: ++n, status: v.status, detail: v.detail, case: c.name, ms };
      results.push(res);
      console.log(tapLine(res));
    }
    for (const p of out.problems) console.log(`# cleanup of ${c.name}: ${p}`);
  }

  const left = leftovers();
  for (const d of [root, work]) {
    try { fs.rmSync(d, { recursive: true, force: true }); } catch (e) { left.push(`${d}: ${(e as Error).message}`); }
  }
  console.log(left.length ? `# host NOT clean after the run: ${left.join("; ")}` : "# host clean: no tsrunc-conf-* state, cgroups or processes left");
  for (const l of summaryLines(results)) console.log(l);

  const json = o.json ?? path.join(import.meta.dir, "results", `${base}.json`);
  writeJson(json, { runtime, version, date: new Date().toISOString(), privateMountNs: !!process.env.TSRUNC_CONF_PRIVATE_NS, leftovers: left }, results);
  console.log(`# JSON report: ${json}`);

  let code = 0;
  if (o.baseline) {
    // with --only, baselined requirements of the cases not run are not compared; an id the suite
    // no longer has at all still counts (a renamed requirement must be renamed in the baseline too)
    const all = new Set(CASES.flatMap((c) => Object.keys(c.reqs)));
    const ran = new Set(results.map((r) => r.id));
    const base = readBaseline(o.baseline).filter((id) => ran.has(id) || !all.has(id));
    const { regressions, newPasses } = compareBaseline(base, results);
    for (const id of regressions) console.log(`# REGRESSION: ${id} is in ${o.baseline} but does not pass`);
    if (newPasses.length) console.log(`# ${newPasses.length} passing requirements are not in the baseline yet: ${newPasses.join(" ")}`);
    console.log(`# baseline: ${regressions.length} regressions`);
    if (regressions.length) code = 1;
  }
  if (o.writeBaseline) {
    fs.writeFileSync(o.writeBaseline, results.filter((r) => r.status === "pass").map((r) => r.id).join("\n") + "\n");
    console.log(`# wrote the ${results.filter((r) => r.status === "pass").length} passing requirement ids to ${o.writeBaseline}`);
  }
  const c = count(results);
  console.log(`# conformance: ${c.total} requirements, ${c.pass} passed, ${c.fail} failed, ${c.skip} skipped`);
  return code;
}

process.exit(await main());
