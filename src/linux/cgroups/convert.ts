// Unit conversions between the runtime-spec (whose numbers are cgroup v1's) and cgroup v2 files,
// with runc's formulas so a container gets the same limits under tsrunc and runc.

/**
 * cpu.shares [2, 262144] → cpu.weight [1, 10000], linearly (runc's
 * ConvertCPUSharesToCgroupV2Value: 1 + ((shares - 2) * 9999) / 262142, integer division).
 * 0 means "not set".
 */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.trunc(((shares - 2) * 9999) / 262142);
}

/**
 * blkio.weight [10, 1000] → io.weight [1, 10000], linearly (runc's ConvertBlkIOToIOWeightValue,
 * crun's write_blkio_resources): 1 + (weight - 10) * 9999 / 990. 0 means "not set".
 */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.trunc(((weight - 10) * 9999) / 990);
}

/**
 * The spec's memory.swap is cgroup v1's memsw (memory + swap); cgroup v2's memory.swap.max is
 * swap alone. runc's ConvertMemorySwapToCgroupV2Value: -1 is "max", 0 "not set"; a limited swap
 * needs a positive memory limit no bigger than it. Returns the v2 value (-1 max, 0 unset).
 */
export function swapToV2(swap: number, memory: number): number {
  // cgroup v1 compatibility: unlimited memory with swap not given means unlimited swap too
  if (memory === -1 && swap === 0) return -1;
  if (swap === -1 || swap === 0) return swap;
  if (memory === 0 || memory === -1) throw new Error("unable to set swap limit without memory limit");
  if (memory < 0) throw new Error(`invalid memory value: ${memory}`);
  if (swap < memory) throw new Error("memory+swap limit should be >= memory limit");
  return swap - memory;
}

/**
 * cgroup v2's cpu.max "$MAX $PERIOD" (runc's setCpu): the quota or "max" when it is not positive;
 * the period only when given (the kernel keeps the current one otherwise).
 */
export function cpuMax(quota: number, period: number): string {
  const q = quota > 0 ? String(quota) : "max";
  return period !== 0 ? `${q} ${period}` : q;
}

/** "0-2,7" → [0, 1, 2, 7] (cpuset lists; runc's parseUint16List for the cpuset stats) */
export function parseCpuList(s: string): number[] {
  const out: number[] = [];
  for (const part of s.trim().split(",")) {
    if (!part) continue;
    const [a, b] = part.split("-").map(Number);
    if (!Number.isInteger(a) || (b !== undefined && !Number.isInteger(b))) throw new Error(`bad cpu list ${JSON.stringify(s)}`);
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}
