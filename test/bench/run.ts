// `make bench`: tsrunc side by side with runc and crun (issue 9), as root:
//   bun test/bench/run.ts [--runtimes "tsrunc runc crun"] [--n 20] [--mem-n 10] [--warmup 1]
//                         [--only version,run,lifecycle,...] [--out FILE | --no-write] [--call-timeout 30]
// --runtimes: `tsrunc` is this checkout's dist/tsrunc, other names are looked up on PATH, NAME=PATH
// names a binary (only the name `tsrunc` gets the ratio columns). Medians go to stdout and, between
// markers (so hand-written findings around them stay), to bench/results/<date>.md.
// The outer process (host mount namespace) installs what is missing, re-executes itself under
// `unshare -m` and sweeps the host afterwards; the inner one (inner.ts) measures.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensurePackages, resolveRuntimes, REPO } from "./setup";
import { inner } from "./inner";
import { killStragglers, sweepCgroups } from "./cleanup";

export interface Options {
  runtimes: string;
  n: number;
  memN: number;
  warmup: number;
  only: string[];
  out: string;
  write: boolean;
  debugRuns: number;
  work: string;
  prefix: string;
  inner: boolean;
  /** the outer process's mount namespace: the inner one refuses to touch mounts in it */
  hostMntNs: string;
  callTimeoutS: number;
}

export const PHASES = ["version", "run", "lifecycle", "firstbyte", "cycle", "parallel", "memory", "timeline"];

function usage(msg: string): never {
  console.error(`bench: ${msg}\nusage: bun test/bench/run.ts [--runtimes "tsrunc runc crun"] [--n N>=1] [--mem-n N] [--warmup N] [--only ${PHASES.join(",")}] [--out FILE | --no-write] [--call-timeout S]`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const today = new Date().toISOString().slice(0, 10);
  const o: Options = { runtimes: "tsrunc runc crun", n: 20, memN: -1, warmup: 1, only: PHASES, out: path.join(REPO, "bench/results", `${today}.md`), write: true, debugRuns: 5, work: "", prefix: "", inner: false, hostMntNs: "", callTimeoutS: 30 };
  const num = (v: string | undefined, flag: string, min: number) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) usage(`${flag} needs an integer >= ${min}`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith("--") && argv[i].includes("=") ? [argv[i].slice(0, argv[i].indexOf("=")), argv[i].slice(argv[i].indexOf("=") + 1)] : [argv[i], undefined];
    const val = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    switch (flag) {
      case "--runtimes": o.runtimes = val(); break;
      case "--n": o.n = num(val(), flag, 1); break;
      case "--mem-n": o.memN = num(val(), flag, 1); break;
      case "--warmup": o.warmup = num(val(), flag, 0); break;
      case "--debug-runs": o.debugRuns = num(val(), flag, 0); break;
      case "--only": o.only = val().split(",").map((s) => s.trim()).filter(Boolean); break;
      case "--out": o.out = path.resolve(val()); break;
      case "--no-write": o.write = false; break;
      case "--inner": o.inner = true; break;
      case "--work": o.work = val(); break;
      case "--prefix": o.prefix = val(); break;
      case "--host-mntns": o.hostMntNs = val(); break;
      case "--call-timeout": o.callTimeoutS = num(val(), flag, 1); break;
      case "-h": case "--help": usage("tsrunc, runc and crun side by side");
      default: usage(`unknown argument ${argv[i]}`);
    }
  }
  for (const p of o.only) if (!PHASES.includes(p)) usage(`--only: unknown phase ${p}`);
  if (o.memN < 0) o.memN = Math.min(o.n, 10);
  return o;
}

/** the options again, for the re-executed inner process */
function innerArgs(o: Options): string[] {
  return ["--inner", "--work", o.work, "--prefix", o.prefix, "--host-mntns", fs.readlinkSync("/proc/self/ns/mnt"), "--runtimes", o.runtimes, "--n", String(o.n), "--mem-n", String(o.memN),
    "--warmup", String(o.warmup), "--debug-runs", String(o.debugRuns), "--call-timeout", String(o.callTimeoutS), "--only", o.only.join(","), ...(o.write ? ["--out", o.out] : ["--no-write"])];
}

async function outer(o: Options): Promise<number> {
  if (process.getuid?.() !== 0) usage("must run as root (it creates containers, mounts and cgroups)");
  ensurePackages(o.runtimes.split(/[\s,]+/).map((s) => s.split("=")[0]));
  resolveRuntimes(o.runtimes, "/nonexistent"); // fail early on a missing binary
  o.work = fs.mkdtempSync(path.join(os.tmpdir(), "tsrunc-bench."));
  o.prefix = `tsbench-${Math.random().toString(16).slice(2, 8)}`;
  // the inner process gets Ctrl-C with the whole foreground process group, cleans up and exits;
  // this one waits for it and then sweeps what a killed inner process may have left
  let child: ReturnType<typeof Bun.spawn> | undefined;
  const forward = (sig: NodeJS.Signals) => () => { if (sig !== "SIGINT") child?.kill(sig); };
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as NodeJS.Signals[]) process.on(s, forward(s));
  let code = 1;
  try {
    child = Bun.spawn(["unshare", "--mount", "--propagation", "private", "--", process.execPath, import.meta.path, ...innerArgs(o)], {
      stdin: "ignore", stdout: "inherit", stderr: "inherit",
    });
    code = await child.exited;
  } finally {
    const k = killStragglers(o.prefix);
    if (k.length) console.error(`bench: killed ${k.length} leftover process(es): ${k.join(" ")}`);
    const left = sweepCgroups(o.prefix);
    if (left.length) console.error(`bench: removed ${left.length} leftover cgroup(s) on the host: ${left.slice(0, 3).join(" ")}`);
    fs.rmSync(o.work, { recursive: true, force: true });
  }
  return code;
}

const opts = parseArgs(process.argv.slice(2));
process.exit(await (opts.inner ? inner(opts) : outer(opts)));
