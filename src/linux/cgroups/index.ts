// Cgroup placement shared by every driver: create the container's directories, move a process
// in, remove them on delete. Resource limits, freezing and stats: driver.ts.
import { fs } from "../lazy-fs";
import * as path from "../../pathname";
import { step } from "../../errors";
import { realSys, sysLoaded } from "../../sys";
import { cgroupMode } from "./driver";
import { CgroupFiles, fsIO, type CgroupIO } from "./fsio";
import type { CgroupDir } from "./hierarchy";

export * from "./hierarchy";
export { allPids, removeCgroups } from "./tree";
export { cgroupMode, driverFor, type ApplyOptions, type CgroupDriver, type CgroupMode, type DriverOptions } from "./driver";
export { CgroupFileError, UnsupportedResource, UnsupportedResources } from "./fsio";
export { eventData, statsEvent, type RuncStats } from "./stats";
export { applyDeviceFilter, type BpfSys } from "./v2/devices";

/** Creates each directory (and missing parents); returns the directories this call created. */
export function createCgroups(dirs: CgroupDir[]): string[] {
  const created: string[] = [];
  const v2 = cgroupMode(dirs) === "v2";
  for (const d of dirs) {
    step(`create cgroup ${d.dir}`, () => {
      const missing: string[] = [];
      for (let p = d.dir; !fsIO.exists(p); p = path.dirname(p)) missing.unshift(p);
      for (const p of missing) {
        if (sysLoaded()) realSys().mkdirat(-100 /* AT_FDCWD */, p, 0o755);
        else fs.mkdirSync(p);
        created.push(p);
        // cgroup v1 cpuset: a new group starts with empty cpus/mems and refuses tasks (ENOSPC)
        if (d.key.split(",").includes("cpuset")) inheritCpuset(p);
      }
      if (v2) enableControllers(d.dir);
    });
  }
  return created;
}

/**
 * cgroup v2: a controller's files appear in a cgroup only when its parent lists the controller
 * in cgroup.subtree_control, so enable every available controller from the mount's root down
 * to the container's parent (runc's CreateCgroupPath). Best effort: a controller that cannot be
 * enabled (e.g. a parent with processes of its own) shows up as a clear error when a resource
 * needs it.
 */
export function enableControllers(dir: string, io: CgroupIO = fsIO): void {
  const chain: string[] = [];
  for (let p = path.dirname(dir); io.exists(path.join(p, "cgroup.subtree_control")); p = path.dirname(p)) {
    chain.unshift(p);
    if (p === path.dirname(p)) break;
  }
  for (const p of chain) {
    const f = new CgroupFiles(p, io);
    if (!f.has("cgroup.controllers")) continue;
    const enabled = new Set(f.read("cgroup.subtree_control").trim().split(/\s+/));
    for (const c of f.read("cgroup.controllers").trim().split(/\s+/).filter(Boolean)) {
      if (enabled.has(c)) continue;
      try {
        f.write("cgroup.subtree_control", `+${c}`);
      } catch {
        // reported later by the driver, naming the field that needed it
      }
    }
  }
}

function inheritCpuset(dir: string): void {
  const own = new CgroupFiles(dir), parent = new CgroupFiles(path.dirname(dir));
  for (const f of ["cpuset.cpus", "cpuset.mems"]) if (own.read(f).trim() === "") own.write(f, parent.read(f).trim());
}

export function enterCgroups(dirs: CgroupDir[], pid: number): void {
  for (const d of dirs) step(`add pid ${pid} to cgroup ${d.dir}`, () => fsIO.write(path.join(d.dir, "cgroup.procs"), String(pid)));
}

