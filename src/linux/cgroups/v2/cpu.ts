// cgroup v2 cpu controller (cgroup-v2.rst "CPU"), after runc's fs2/cpu.go: shares become
// cpu.weight, quota/period become cpu.max, burst is cpu.max.burst; realtime groups do not exist
// in v2 (crun refuses them too).
import type { Resources } from "../../../spec/types";
import { cpuMax, sharesToWeight } from "../convert";
import { CgroupFileError, CgroupFiles, fsIO, int, isSet, mul, nonZero, UnsupportedResource, type CgroupIO } from "../fsio";
import { parsePSI, type RuncStats } from "../stats";

const P = "/linux/resources/cpu";

export function check(dir: string, r: Resources, io: CgroupIO = fsIO): UnsupportedResource[] {
  const c = r.cpu;
  if (!c) return [];
  const f = new CgroupFiles(dir, io), out: UnsupportedResource[] = [];
  if (nonZero(c.realtimeRuntime)) out.push(new UnsupportedResource(`${P}/realtimeRuntime`, "realtime cpu groups exist only in cgroup v1; this host uses cgroup v2"));
  if (nonZero(c.realtimePeriod)) out.push(new UnsupportedResource(`${P}/realtimePeriod`, "realtime cpu groups exist only in cgroup v1; this host uses cgroup v2"));
  const wants = nonZero(c.shares) || nonZero(c.quota) || nonZero(c.period) || isSet(c.burst) || isSet(c.idle);
  if (wants && !f.has("cpu.max")) out.push(new UnsupportedResource(P, `needs the cpu controller, not enabled for ${dir} (see cgroup.subtree_control of its parent)`));
  else if (isSet(c.burst) && !f.has("cpu.max.burst")) out.push(new UnsupportedResource(`${P}/burst`, "needs cpu.max.burst (Linux 5.14), not present on this host"));
  else if (isSet(c.idle) && !f.has("cpu.idle")) out.push(new UnsupportedResource(`${P}/idle`, "needs cpu.idle (Linux 5.15), not present on this host"));
  return out;
}

export function apply(dir: string, r: Resources, io: CgroupIO = fsIO): void {
  const c = r.cpu;
  if (!c) return;
  const f = new CgroupFiles(dir, io);
  if (isSet(c.idle)) f.write("cpu.idle", int(c.idle));
  if (nonZero(c.shares)) f.write("cpu.weight", int(sharesToWeight(c.shares)));
  const maxSet = nonZero(c.quota) || nonZero(c.period);
  let retryBurst = false;
  if (isSet(c.burst)) {
    try {
      f.write("cpu.max.burst", int(c.burst));
    } catch (e) {
      // a burst above the current quota is refused (EINVAL) until the new quota is written
      if (!(e instanceof CgroupFileError) || e.code !== "EINVAL" || !maxSet) throw e;
      retryBurst = true;
    }
  }
  if (maxSet) {
    f.write("cpu.max", cpuMax(c.quota ?? 0, c.period ?? 0));
    if (retryBurst) f.write("cpu.max.burst", int(c.burst!));
  }
}

/** cpu.stat in microseconds → runc's nanoseconds (cpu.stat exists even without the controller) */
export function stats(dir: string, s: RuncStats, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  const kv = f.keyValues("cpu.stat");
  const us = (k: string) => mul(kv.get(k) ?? 0, 1000);
  s.cpu.usage.total = us("usage_usec");
  s.cpu.usage.user = us("user_usec");
  s.cpu.usage.kernel = us("system_usec");
  s.cpu.throttling = { periods: kv.get("nr_periods") ?? 0, throttledPeriods: kv.get("nr_throttled") ?? 0, throttledTime: us("throttled_usec") };
  if (f.has("cpu.pressure")) s.cpu.psi = parsePSI(f.read("cpu.pressure"));
}
