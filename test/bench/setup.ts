// Bench setup: the packages it needs, the runtimes, one shared read-only busybox rootfs, a bundle per
// runtime and workload, the state tmpfs and the private mount namespace crun needs here.
import * as fs from "node:fs";
import * as path from "node:path";
import { must } from "./proc";

export const REPO = path.resolve(import.meta.dir, "../..");

export interface Runtime {
  name: string;
  bin: string;
  /** the --root state directory, on the bench's tmpfs */
  root: string;
}

/** Debian packages the bench needs, installed when the command is missing */
export function ensurePackages(runtimeNames: string[]): void {
  const want: [string, string][] = [["busybox", "busybox-static"], ["/usr/bin/time", "time"], ["unshare", "util-linux"]];
  for (const n of runtimeNames) if (n === "runc" || n === "crun") want.push([n, n]);
  const missing = want.filter(([cmd]) => (cmd.startsWith("/") ? !fs.existsSync(cmd) : !Bun.which(cmd))).map(([, p]) => p);
  if (!missing.length) return;
  console.error(`bench: installing ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const apt = (args: string[]) => Bun.spawnSync(["apt-get", ...args], { stdin: "ignore", stdout: "ignore", stderr: "inherit", env }).exitCode === 0;
  if (!apt(["install", "-y", "-qq", ...missing])) {
    apt(["update", "-qq"]);
    if (!apt(["install", "-y", "-qq", ...missing])) throw new Error(`apt-get install ${missing.join(" ")} failed`);
  }
}

/** "tsrunc" is this checkout's dist/tsrunc, any other name is looked up on PATH; NAME=PATH names a binary */
export function resolveRuntimes(spec: string, stateDir: string): Runtime[] {
  const out: Runtime[] = [];
  for (const item of spec.split(/[\s,]+/).filter(Boolean)) {
    const eq = item.indexOf("=");
    const name = eq > 0 ? item.slice(0, eq) : item;
    let bin = eq > 0 ? path.resolve(item.slice(eq + 1)) : name === "tsrunc" ? path.join(REPO, "dist/tsrunc") : Bun.which(name) ?? "";
    if (!bin || !fs.existsSync(bin)) throw new Error(`runtime ${name}: ${bin || "not on PATH"} not found${name === "tsrunc" ? " (make build)" : ""}`);
    bin = fs.realpathSync(bin);
    if (out.some((r) => r.name === name)) throw new Error(`runtime ${name} given twice`);
    out.push({ name, bin, root: path.join(stateDir, name) });
  }
  if (!out.length) throw new Error("no runtimes given");
  return out;
}

/** runc 1.1's `runc spec`, runtime-neutral: no terminal, read-only root, no seccomp, no cgroupsPath
 * (each runtime then uses /<container-id> under every controller) */
export function neutralConfig(rootfs: string, args: string[]): object {
  const nosuid = ["nosuid", "noexec", "nodev"];
  const caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
  return {
    ociVersion: "1.0.2-dev",
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
      cwd: "/",
      capabilities: { bounding: caps, effective: caps, permitted: caps, ambient: caps },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: rootfs, readonly: true },
    hostname: "bench",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
      { destination: "/dev/shm", type: "tmpfs", source: "shm", options: [...nosuid, "mode=1777", "size=65536k"] },
      { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: nosuid },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: [...nosuid, "ro"] },
      { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: [...nosuid, "relatime", "ro"] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: "rwm" }] },
      namespaces: [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }],
      maskedPaths: ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
  };
}

/** the workloads; each runtime gets its own bundle of each, all on the one rootfs */
export const WORKLOADS = { true: ["/bin/true"], echo: ["/bin/echo", "x"], sleep: ["/bin/sleep", "1000"] } as const;
export type Workload = keyof typeof WORKLOADS;

export function bundlePath(work: string, rt: Runtime, w: Workload): string {
  return path.join(work, "bundles", `${rt.name}-${w}`);
}

export function makeRootfsAndBundles(work: string, runtimes: Runtime[]): string {
  const rootfs = path.join(work, "rootfs");
  must([path.join(REPO, "bundles/make-busybox-rootfs.sh"), rootfs], "make-busybox-rootfs.sh");
  for (const rt of runtimes) {
    for (const w of Object.keys(WORKLOADS) as Workload[]) {
      const b = bundlePath(work, rt, w);
      fs.mkdirSync(b, { recursive: true });
      fs.writeFileSync(path.join(b, "config.json"), JSON.stringify(neutralConfig(rootfs, [...WORKLOADS[w]]), null, 2));
    }
  }
  return rootfs;
}

const FAKE_UNIFIED_SRC = "bench-unified";

/**
 * crun, seeing no cgroup2 there, still makes unified/<id>/cgroup.procs and cannot remove the
 * directory again (on a tmpfs it is not empty): cleared after every round, or the tmpfs fills up.
 */
export function clearFakeUnified(prefix: string): void {
  const uni = "/sys/fs/cgroup/unified";
  const mi = fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n").find((l) => l.split(" ")[4] === uni);
  if (!mi || !mi.includes(` - tmpfs ${FAKE_UNIFIED_SRC} `)) return;
  for (const n of fs.readdirSync(uni)) if (n.startsWith(`${prefix}-`)) fs.rmSync(path.join(uni, n), { recursive: true, force: true });
}

export function isMountpoint(p: string): boolean {
  const mi = fs.readFileSync("/proc/self/mountinfo", "utf8");
  return mi.split("\n").some((l) => l.split(" ")[4] === p);
}

/**
 * Inside the private mount namespace (`unshare -m` makes / rprivate): the empty cgroup2 at
 * /sys/fs/cgroup/unified is unmounted, because crun refuses hybrid cgroups, and a throwaway tmpfs
 * takes its place: crun still mkdirs <id>/cgroup.procs under unified/, which would otherwise land in
 * the host's /sys/fs/cgroup tmpfs under the (host-side) cgroup2 mount. Then the state tmpfs.
 */
export function prepareNamespace(stateDir: string): string[] {
  const notes: string[] = [];
  const uni = "/sys/fs/cgroup/unified";
  if (isMountpoint(uni)) {
    must(["umount", uni]);
    must(["mount", "-t", "tmpfs", "-o", "size=64m,nr_inodes=200k,mode=755", FAKE_UNIFIED_SRC, uni]);
    notes.push("the empty cgroup2 at /sys/fs/cgroup/unified is unmounted in the bench's mount namespace (crun refuses hybrid cgroups): every runtime sees cgroup v1 only");
  }
  fs.mkdirSync(stateDir, { recursive: true });
  must(["mount", "-t", "tmpfs", "-o", "size=64m,mode=700", "bench-state", stateDir]);
  return notes;
}

/** flags of the Makefile's `$(BUN) build --compile ...` line, without --define and --outfile */
export function makefileBuildFlags(): string[] {
  const fallback = ["--compile", "--minify", "--bytecode", "--format=esm", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig"];
  let mk: string;
  try {
    mk = fs.readFileSync(path.join(REPO, "Makefile"), "utf8").replace(/\\\n/g, " ");
  } catch {
    return fallback;
  }
  const line = mk.split("\n").find((l) => /\$\(BUN\) build .*--compile/.test(l));
  if (!line) return fallback;
  const toks = line.trim().split(/\s+/).slice(2);
  const flags: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t === "--define" || t === "--outfile" || t === "--outdir") { i++; continue; }
    if (t.startsWith("--define=") || t.startsWith("--outfile=")) continue;
    if (t.startsWith("--")) flags.push(t);
  }
  return flags.includes("--compile") ? flags : fallback;
}

/** the engine floor: an empty program compiled with the same Bun and flags as dist/tsrunc */
export function buildFloor(work: string): { bin: string; flags: string[] } {
  const dir = path.join(work, "floor");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "empty.ts"), "export {};\n");
  const flags = makefileBuildFlags();
  const bin = path.join(dir, "empty");
  const r = Bun.spawnSync([process.execPath, "build", ...flags, "empty.ts", "--outfile", bin], { cwd: dir, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0 || !fs.existsSync(bin)) throw new Error(`building the engine floor failed: ${r.stderr.toString().trim()}`);
  return { bin, flags };
}

export function runtimeVersion(bin: string): string {
  const r = Bun.spawnSync([bin, "--version"], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const lines = r.stdout.toString().trim().split("\n");
  const commit = lines.find((l) => l.startsWith("commit:"));
  return [lines[0], commit].filter(Boolean).join(", ");
}

/** the commit of this checkout, for which tsrunc was measured */
function checkout(): string {
  const git = (...a: string[]) => Bun.spawnSync(["git", "-C", REPO, ...a], { stdin: "ignore", stdout: "pipe", stderr: "ignore" });
  const head = git("log", "-1", "--format=%h %s").stdout.toString().trim();
  if (!head) return "?";
  const dirty = git("status", "--porcelain", "--", "src", "schema", "package.json", "Makefile").stdout.toString().trim() !== "";
  return `${head.length > 90 ? head.slice(0, 90) + "…" : head}${dirty ? " (+ uncommitted changes to src/, schema/, package.json or Makefile)" : ""}`;
}

export function machineFacts(): Record<string, string> {
  const cpuinfo = fs.readFileSync("/proc/cpuinfo", "utf8");
  const model = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "?";
  const mem = fs.readFileSync("/proc/meminfo", "utf8").match(/^MemTotal:\s+(\d+)/m)?.[1];
  const os = fs.existsSync("/etc/os-release") ? fs.readFileSync("/etc/os-release", "utf8").match(/^PRETTY_NAME="?([^"\n]*)/m)?.[1] ?? "" : "";
  return {
    kernel: must(["uname", "-r"]).trim(),
    os,
    cpus: `${navigator.hardwareConcurrency} × ${model}`,
    memory: mem ? `${(Number(mem) / 1048576).toFixed(1)} GiB` : "?",
    bun: `${Bun.version} (${process.execPath.replace(REPO + "/", "")})`,
    checkout: checkout(),
  };
}

/** CPU ticks: the whole host's busy time, and this process's own plus its reaped children's */
export interface CpuSnap { host: number; own: number; t: number }
export function cpuSnap(): CpuSnap {
  const cpu = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const host = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + (cpu[7] ?? 0);
  const st = fs.readFileSync("/proc/self/stat", "utf8");
  const f = st.slice(st.lastIndexOf(")") + 2).split(" ").map(Number);
  return { host, own: f[11] + f[12] + f[13] + f[14], t: performance.now() };
}

/** CPUs' worth of work done by other processes between two snapshots (0.5 = half a core busy) */
export function foreignCpu(a: CpuSnap, b: CpuSnap): number {
  const ticks = b.host - a.host - (b.own - a.own);
  return Math.max(0, ticks / 100 / ((b.t - a.t) / 1000));
}

/** processes that used more than 10% of a CPU over `ms`, busiest first (contention check) */
export function busyProcesses(ms = 1000): string[] {
  const ticks = (): Map<string, number> => {
    const m = new Map<string, number>();
    for (const pid of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const st = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const f = st.slice(st.lastIndexOf(")") + 2).split(" ").map(Number);
        m.set(pid, f[11] + f[12]);
      } catch {}
    }
    return m;
  };
  const a = ticks();
  Bun.sleepSync(ms);
  const b = ticks();
  const out: [number, string][] = [];
  for (const [pid, t] of b) {
    const pct = ((t - (a.get(pid) ?? t)) / 100 / (ms / 1000)) * 100;
    if (pct < 10 || pid === String(process.pid)) continue;
    let cmd = "";
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
    } catch {}
    out.push([pct, `${pct.toFixed(0)}% pid ${pid}: ${cmd.length > 100 ? cmd.slice(0, 100) + "…" : cmd}`]);
  }
  return out.sort((x, y) => y[0] - x[0]).slice(0, 5).map((x) => x[1]);
}
