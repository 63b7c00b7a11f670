// cgroup v1 cpu controller (CFS bandwidth: Documentation/scheduler/sched-bwc.rst; RT:
// sched-rt-group.rst) and the cpuacct statistics, after runc's fs/cpu.go and fs/cpuacct.go.
import type { Resources } from "../../../spec/types";
import { CgroupFileError, CgroupFiles, fsIO, int, isSet, mul, nonZero, parseUint, UnsupportedResource, type CgroupIO } from "../fsio";
import type { RuncStats } from "../stats";

const P = "/linux/resources/cpu";

export function check(dir: string, r: Resources, io: CgroupIO = fsIO): UnsupportedResource[] {
  const c = r.cpu;
  if (!c) return [];
  const f = new CgroupFiles(dir, io), out: UnsupportedResource[] = [];
  const need = (field: string, file: string, why: string) => { if (!f.has(file)) out.push(new UnsupportedResource(`${P}/${field}`, why)); };
  if (isSet(c.burst)) need("burst", "cpu.cfs_burst_us", "needs cpu.cfs_burst_us (Linux 5.14), not present on this host");
  if (isSet(c.idle)) need("idle", "cpu.idle", "needs cpu.idle (Linux 5.15), not present on this host");
  if (nonZero(c.realtimeRuntime)) need("realtimeRuntime", "cpu.rt_runtime_us", "needs cpu.rt_runtime_us (CONFIG_RT_GROUP_SCHED), not present on this host");
  if (nonZero(c.realtimePeriod)) need("realtimePeriod", "cpu.rt_period_us", "needs cpu.rt_period_us (CONFIG_RT_GROUP_SCHED), not present on this host");
  return out;
}

/**
 * Writes a value that the kernel may refuse with EINVAL only because of the current value of a
 * companion file (period vs quota, burst vs quota, rt period vs rt runtime): in that case the
 * caller retries after writing the companion. Returns true when the write must be retried.
 */
function writeOrDefer(f: CgroupFiles, file: string, value: string, companionSet: boolean): boolean {
  try {
    f.write(file, value);
    return false;
  } catch (e) {
    if (!(e instanceof CgroupFileError)) throw e;
    if (e.code === "EINVAL" && companionSet) return true;
    throw e;
  }
}

export function apply(dir: string, r: Resources, io: CgroupIO = fsIO): void {
  const c = r.cpu;
  if (!c) return;
  const f = new CgroupFiles(dir, io);
  if (nonZero(c.shares)) {
    f.write("cpu.shares", int(c.shares));
    // the kernel clamps to [2, 262144] silently; runc reads it back to report the clamp
    const got = Number(parseUint(f.read("cpu.shares")));
    if (c.shares > got) throw new Error(`${P}/shares: the maximum allowed cpu-shares is ${got}`);
    if (c.shares < got) throw new Error(`${P}/shares: the minimum allowed cpu-shares is ${got}`);
  }
  const quotaSet = nonZero(c.quota);
  // a smaller period can be refused while old_quota/new_period exceeds the parent's limit
  const retryPeriod = nonZero(c.period) && writeOrDefer(f, "cpu.cfs_period_us", int(c.period), quotaSet);
  const retryBurst = isSet(c.burst) && writeOrDefer(f, "cpu.cfs_burst_us", int(c.burst), quotaSet);
  if (quotaSet) {
    f.write("cpu.cfs_quota_us", int(c.quota!));
    if (retryPeriod) f.write("cpu.cfs_period_us", int(c.period!));
    if (retryBurst) f.write("cpu.cfs_burst_us", int(c.burst!));
  }
  if (isSet(c.idle)) f.write("cpu.idle", int(c.idle));
  // rt_runtime must fit in rt_period at every moment (sched-rt-group.rst): same dance as runc's SetRtSched
  const runtimeSet = nonZero(c.realtimeRuntime);
  const retryRt = nonZero(c.realtimePeriod) && writeOrDefer(f, "cpu.rt_period_us", int(c.realtimePeriod), runtimeSet);
  if (runtimeSet) {
    f.write("cpu.rt_runtime_us", int(c.realtimeRuntime!));
    if (retryRt) f.write("cpu.rt_period_us", int(c.realtimePeriod!));
  }
}

/** cpu.stat: nr_periods, nr_throttled, throttled_time (ns) */
export function stats(dir: string, s: RuncStats, io: CgroupIO = fsIO): void {
  const kv = new CgroupFiles(dir, io).keyValues("cpu.stat");
  s.cpu.throttling = { periods: kv.get("nr_periods") ?? 0, throttledPeriods: kv.get("nr_throttled") ?? 0, throttledTime: kv.get("throttled_time") ?? 0 };
}

// USER_HZ: cpuacct.stat counts in clock ticks, 100 per second on Linux (runc hard-codes it too)
const NS_PER_TICK = 1_000_000_000 / 100;

/** cpuacct: cpuacct.usage, usage_percpu, stat (user/system ticks), usage_all (per-cpu user/system) */
export function cpuacctStats(dir: string, s: RuncStats, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  if (!f.has("cpuacct.usage")) return;
  const u = s.cpu.usage;
  u.total = f.num("cpuacct.usage") ?? 0;
  u.percpu = f.read("cpuacct.usage_percpu").trim().split(/\s+/).filter(Boolean).map(parseUint);
  const st = f.keyValues("cpuacct.stat");
  u.user = mul(st.get("user") ?? 0, NS_PER_TICK);
  u.kernel = mul(st.get("system") ?? 0, NS_PER_TICK);
  if (f.has("cpuacct.usage_all")) {
    // "cpu user system" header, then one line per cpu
    const rows = f.read("cpuacct.usage_all").split("\n").slice(1).map((l) => l.trim().split(/\s+/)).filter((r) => r.length === 3);
    u.percpu_user = rows.map((r) => parseUint(r[1]));
    u.percpu_kernel = rows.map((r) => parseUint(r[2]));
  }
}
