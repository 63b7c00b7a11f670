// process.scheduler (sched_setattr(2)) and process.ioPriority (ioprio_set(2)). Both are applied
// in the init before the capabilities drop: real-time policies need CAP_SYS_NICE, the real-time
// I/O class CAP_SYS_ADMIN.
import type { Sys } from "../sys";
import { step } from "../errors";

export interface Scheduler {
  policy: string; nice?: number; priority?: number; flags?: string[];
  runtime?: number; deadline?: number; period?: number;
}

const POLICIES: Record<string, number> = {
  SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_ISO: 4, SCHED_IDLE: 5, SCHED_DEADLINE: 6,
};
const FLAGS: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01, SCHED_FLAG_RECLAIM: 0x02, SCHED_FLAG_DL_OVERRUN: 0x04, SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10, SCHED_FLAG_UTIL_CLAMP_MIN: 0x20, SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};

/** struct sched_attr (56 bytes, SCHED_ATTR_SIZE_VER1) */
export function schedAttr(s: Scheduler): Buffer {
  const policy = POLICIES[s.policy];
  if (policy === undefined) throw new Error(`/process/scheduler/policy: unknown policy ${JSON.stringify(s.policy)}`);
  let flags = 0;
  for (const f of s.flags ?? []) {
    if (FLAGS[f] === undefined) throw new Error(`/process/scheduler/flags: unknown flag ${JSON.stringify(f)}`);
    flags |= FLAGS[f];
  }
  const b = Buffer.alloc(56);
  b.writeUInt32LE(56, 0);
  b.writeUInt32LE(policy, 4);
  b.writeBigUInt64LE(BigInt(flags), 8);
  b.writeInt32LE(s.nice ?? 0, 16);
  b.writeUInt32LE(s.priority ?? 0, 20);
  b.writeBigUInt64LE(BigInt(s.runtime ?? 0), 24);
  b.writeBigUInt64LE(BigInt(s.deadline ?? 0), 32);
  b.writeBigUInt64LE(BigInt(s.period ?? 0), 40);
  return b;
}

export function setScheduler(sys: Sys, s: Scheduler): void {
  step(`set scheduler ${s.policy}`, () => sys.schedSetattr(0, schedAttr(s)));
}

/** "0-2,5" → [0, 1, 2, 5] (cpu and NUMA node lists, as the kernel writes them) */
export function parseIdList(s: string, pointer: string): number[] {
  const out: number[] = [];
  for (const part of s.split(",").map((x) => x.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`${pointer}: ${JSON.stringify(s)} is not a list like "0-2,5"`);
    const a = Number(m[1]), b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a || b > 1023) throw new Error(`${pointer}: bad range ${JSON.stringify(part)}`);
    for (let n = a; n <= b; n++) out.push(n);
  }
  return out;
}

/** a cpu_set_t-shaped bitmask for sched_setaffinity(2) */
export function cpuMask(list: string, pointer: string): Buffer {
  const cpus = parseIdList(list, pointer);
  if (!cpus.length) throw new Error(`${pointer}: empty CPU list`);
  const mask = Buffer.alloc(128); // CPU_SETSIZE 1024 bits
  for (const c of cpus) mask[c >> 3] |= 1 << (c & 7);
  return mask;
}

/** process.execCPUAffinity: `initial` while the runtime sets the process up, `final` from execve on */
export function setCpuAffinity(sys: Sys, list: string | undefined, which: "initial" | "final"): void {
  if (!list) return;
  step(`set ${which} CPU affinity ${list}`, () => sys.schedSetaffinity(0, cpuMask(list, `/process/execCPUAffinity/${which}`)));
}

const IOPRIO_CLASSES: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };

/** ioprio value: class << 13 | level (IOPRIO_PRIO_VALUE) */
export function ioprioValue(p: { class: string; priority?: number }): number {
  const cls = IOPRIO_CLASSES[p.class];
  if (cls === undefined) throw new Error(`/process/ioPriority/class: unknown class ${JSON.stringify(p.class)}`);
  const level = p.priority ?? 0;
  if (level < 0 || level > 7) throw new Error(`/process/ioPriority/priority: ${level} is outside 0-7`);
  return (cls << 13) | level;
}

export function setIoPriority(sys: Sys, p: { class: string; priority?: number }): void {
  step(`set I/O priority ${p.class}`, () => sys.ioprioSet(1 /* IOPRIO_WHO_PROCESS */, 0, ioprioValue(p)));
}
