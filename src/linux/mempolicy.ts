// linux.memoryPolicy (set_mempolicy(2)): the NUMA policy PID 1 and its children allocate with.
import type { Sys } from "../sys";
import { step } from "../errors";
import { parseIdList } from "./sched";

const MODES: Record<string, number> = {
  MPOL_DEFAULT: 0, MPOL_PREFERRED: 1, MPOL_BIND: 2, MPOL_INTERLEAVE: 3, MPOL_LOCAL: 4, MPOL_PREFERRED_MANY: 5, MPOL_WEIGHTED_INTERLEAVE: 6,
};
const FLAGS: Record<string, number> = { MPOL_F_NUMA_BALANCING: 1 << 13, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_STATIC_NODES: 1 << 15 };

export function parseNodes(s: string): number[] {
  return parseIdList(s, "/linux/memoryPolicy/nodes");
}

export function mempolicyArgs(p: { mode: string; nodes?: string; flags?: string[] }): { mode: number; mask: Buffer | null; maxnode: number } {
  let mode = MODES[p.mode];
  if (mode === undefined) throw new Error(`/linux/memoryPolicy/mode: unknown mode ${JSON.stringify(p.mode)}`);
  for (const f of p.flags ?? []) {
    if (FLAGS[f] === undefined) throw new Error(`/linux/memoryPolicy/flags: unknown flag ${JSON.stringify(f)}`);
    mode |= FLAGS[f];
  }
  const nodes = p.nodes ? parseNodes(p.nodes) : [];
  if (!nodes.length) return { mode, mask: null, maxnode: 0 };
  const max = Math.max(...nodes) + 1;
  const mask = Buffer.alloc(Math.ceil(max / 64) * 8);
  for (const n of nodes) mask[n >> 3] |= 1 << (n & 7);
  return { mode, mask, maxnode: max + 1 };
}

export function setMemoryPolicy(sys: Sys, p: { mode: string; nodes?: string; flags?: string[] }): void {
  step(`set memory policy ${p.mode}`, () => {
    const a = mempolicyArgs(p);
    sys.setMempolicy(a.mode, a.mask, a.maxnode);
  });
}
