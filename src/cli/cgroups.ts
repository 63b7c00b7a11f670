// pause, resume, update and events: runc's verbs on the container's cgroups.
import { fs } from "../linux/lazy-fs";
import type { Flags, CommandModule } from "./argv";
import type { GlobalArgs } from "./globals";
import type { Resources } from "../spec/types";
import { UsageError } from "../errors";
import { print } from "./output";

type Id = GlobalArgs & { id: string };

export const pause: CommandModule = {
  command: "pause <id>", describe: "suspend every process of the container (cgroup freezer)",
  async handler(a: Id) {
    const { pauseContainer } = await import("../container/cgroup-verbs");
    const { realSys } = await import("../sys");
    pauseContainer(realSys(), a.root, a.id);
  },
};

export const resume: CommandModule = {
  command: "resume <id>", describe: "resume a paused container",
  async handler(a: Id) {
    const { resumeContainer } = await import("../container/cgroup-verbs");
    const { realSys } = await import("../sys");
    resumeContainer(realSys(), a.root, a.id);
  },
};

const updateFlags: Flags = {
  resources: { alias: "r", type: "string", describe: "runtime-spec linux.resources JSON file, or - for stdin" },
  "blkio-weight": { type: "number", describe: "block IO weight (10-1000)" },
  "cpu-period": { type: "number", describe: "CPU CFS period in microseconds" },
  "cpu-quota": { type: "number", describe: "CPU CFS quota in microseconds" },
  "cpu-share": { type: "number", describe: "CPU shares (relative weight)" },
  "cpu-rt-period": { type: "number", describe: "CPU realtime period in microseconds" },
  "cpu-rt-runtime": { type: "number", describe: "CPU realtime runtime in microseconds" },
  "cpuset-cpus": { type: "string", describe: "CPUs to use" },
  "cpuset-mems": { type: "string", describe: "memory nodes to use" },
  memory: { type: "string", describe: "memory limit (bytes, or with k/m/g)" },
  "memory-reservation": { type: "string", describe: "memory soft limit" },
  "memory-swap": { type: "string", describe: "memory plus swap limit (-1: unlimited)" },
  "pids-limit": { type: "number", describe: "maximum number of pids (-1: unlimited)" },
};

/** runc's RAMInBytes: 512, 10k, 1.5m, 2g (binary units); -1 passes through */
export function parseBytes(flag: string, v: string): number {
  const m = /^(-?\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(v.trim());
  if (!m) throw new UsageError(`--${flag}: ${JSON.stringify(v)} is not a size like 512m`);
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[m[2].toLowerCase()]!;
  return Math.round(Number(m[1]) * mult);
}

export function updateResources(a: Record<string, unknown>, stdin: () => string): Resources {
  let r: Resources = {};
  if (typeof a.resources === "string") {
    const text = a.resources === "-" ? stdin() : fs.readFileSync(a.resources, "utf8");
    try { r = JSON.parse(text) as Resources; } catch (e) { throw new UsageError(`--resources: not JSON: ${e instanceof Error ? e.message : e}`); }
  }
  const num = (k: string) => (a[k] === undefined ? undefined : Number(a[k]));
  const bytes = (k: string) => (a[k] === undefined ? undefined : parseBytes(k, String(a[k])));
  const merge = (base: unknown, fields: Record<string, unknown>): Record<string, unknown> => {
    const o: Record<string, unknown> = { ...((base as Record<string, unknown> | null) ?? {}) };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) o[k] = v;
    return o;
  };
  const out = r as Record<string, unknown>;
  out.memory = merge(r.memory, { limit: bytes("memory"), reservation: bytes("memory-reservation"), swap: bytes("memory-swap") });
  out.cpu = merge(r.cpu, {
    period: num("cpu-period"), quota: num("cpu-quota"), shares: num("cpu-share"), realtimePeriod: num("cpu-rt-period"),
    realtimeRuntime: num("cpu-rt-runtime"), cpus: a["cpuset-cpus"], mems: a["cpuset-mems"],
  });
  if (a["pids-limit"] !== undefined) out.pids = { limit: num("pids-limit") };
  if (a["blkio-weight"] !== undefined) out.blockIO = merge(r.blockIO, { weight: num("blkio-weight") });
  return r;
}

export const update: CommandModule = {
  command: "update <id>", describe: "change the container's resource limits", flags: updateFlags,
  async handler(a: Id & Record<string, unknown>) {
    const { updateContainer } = await import("../container/cgroup-verbs");
    const { realSys } = await import("../sys");
    updateContainer(realSys(), a.root, a.id, updateResources(a, () => fs.readFileSync(0, "utf8")));
  },
};

export const events: CommandModule = {
  command: "events <id>", describe: "print container events: --stats once, else stats every --interval and OOM notices",
  flags: {
    stats: { type: "boolean", default: false, describe: "print one stats event and exit" },
    interval: { type: "string", default: "5s", describe: "stats interval (e.g. 5s, 500ms)" },
  },
  async handler(a: Id & { stats: boolean; interval: string }) {
    const { statsLine, streamEvents } = await import("../container/cgroup-verbs");
    if (a.stats) { print(statsLine(a.root, a.id) + "\n"); return; }
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(a.interval);
    if (!m) throw new UsageError(`--interval: ${JSON.stringify(a.interval)} is not a duration like 5s`);
    const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60000 }[(m[2] ?? "s") as "ms" | "s" | "m"]);
    await streamEvents(a.root, a.id, Math.max(ms, 10), (l) => print(l + "\n"));
  },
};
