// process.rlimits through prlimit(2) on the init process itself (inherited across execve).
import { RLIMIT, type Sys } from "../sys";
import type { Rlimit } from "../spec/types";
import { step } from "../errors";

export function rlimitResource(type: string): number | undefined {
  return RLIMIT[type];
}

/** RLIM_INFINITY is ~0 in the kernel ABI; specs write it as 2^64-1, which JSON loses to a double */
function toRlim(v: number): bigint {
  return v >= 2 ** 64 - 1 || v < 0 ? 0xffffffffffffffffn : BigInt(Math.trunc(v));
}

export function applyRlimits(sys: Sys, rlimits: Rlimit[]): void {
  for (const r of rlimits) {
    const res = rlimitResource(r.type);
    if (res === undefined) throw new Error(`rlimit ${JSON.stringify(r.type)}: unknown resource`);
    step(`set rlimit ${r.type} (soft ${r.soft}, hard ${r.hard})`, () => sys.prlimit(0, res, toRlim(r.soft), toRlim(r.hard)));
  }
}
