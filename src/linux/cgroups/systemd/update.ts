// `update` with the systemd driver (runc's systemd Set): systemd is told the new limits first,
// then the caller writes the cgroup files as with cgroupfs. Without the first step systemd
// keeps the values of create and writes them back whenever it re-realizes the unit's cgroup
// (daemon-reload, any property change), silently undoing the update.
import * as fs from "node:fs";
import * as path from "../../../pathname";
import type { Resources } from "../../../spec/types";
import type { CgroupDriver } from "../driver";
import type { CgroupDir } from "../hierarchy";
import type { BusSys } from "./dbus";
import { resourceProperties } from "./properties";
import { setUnitProperties, type SystemdOptions } from "./scope";

export function updateSystemdUnit(sys: BusSys, unit: string, r: Resources, drv: CgroupDriver, dirs: CgroupDir[], opts: SystemdOptions = {}): void {
  const res = withCurrentPeriod(r, dirs);
  // systemd's v1 device rules are applied by resetting devices.deny to "a" and allowing the
  // list again: in between, the container's open() of /dev/null fails. runc freezes the
  // container across the call for that reason; v2 swaps the eBPF program in one step
  const freeze = drv.mode !== "v2" && !!r.devices && drv.state() !== "frozen";
  if (freeze) drv.freeze();
  try {
    setUnitProperties(sys, unit, (version) => resourceProperties(res, drv.mode, version, { update: true }), opts);
  } finally {
    if (freeze) drv.thaw();
  }
}

/**
 * systemd stores a CPU quota per second, so the period matters even when `update` gives only
 * --cpu-quota: take the container's current one from its cgroup (runc has it from the saved
 * config) instead of assuming the kernel's default.
 */
export function withCurrentPeriod(r: Resources, dirs: CgroupDir[]): Resources {
  const q = r.cpu?.quota;
  if (q === undefined || q === null || r.cpu?.period) return r;
  const period = currentPeriod(dirs);
  return period ? { ...r, cpu: { ...r.cpu, period } } : r;
}

function currentPeriod(dirs: CgroupDir[]): number | undefined {
  const v2 = dirs.find((d) => d.version === 2);
  const v1 = dirs.find((d) => d.version === 1 && d.key.split(",").includes("cpu"));
  try {
    // a hybrid host has both; the cpu controller sits on v1 there
    if (v1) return Number(fs.readFileSync(path.join(v1.dir, "cpu.cfs_period_us"), "utf8").trim()) || undefined;
    if (v2) return Number(fs.readFileSync(path.join(v2.dir, "cpu.max"), "utf8").trim().split(/\s+/)[1]) || undefined;
  } catch {
    // no cpu controller there: the default period stands
  }
  return undefined;
}
