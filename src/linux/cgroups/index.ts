// Cgroup placement shared by every driver: create the container's directories, move a process
// in, remove them on delete. Resource limits live in the per-driver modules (cgroups issue).
import * as fs from "node:fs";
import * as path from "node:path";
import { step } from "../../errors";
import type { CgroupDir } from "./hierarchy";

export * from "./hierarchy";

/** Creates each directory (and missing parents); returns the directories this call created. */
export function createCgroups(dirs: CgroupDir[]): string[] {
  const created: string[] = [];
  for (const d of dirs) {
    step(`create cgroup ${d.dir}`, () => {
      const missing: string[] = [];
      for (let p = d.dir; !fs.existsSync(p); p = path.dirname(p)) missing.unshift(p);
      for (const p of missing) {
        fs.mkdirSync(p);
        created.push(p);
        // cgroup v1 cpuset: a new group starts with empty cpus/mems and refuses tasks (ENOSPC)
        if (d.key.split(",").includes("cpuset")) inheritCpuset(p);
      }
    });
  }
  return created;
}

function inheritCpuset(dir: string): void {
  for (const f of ["cpuset.cpus", "cpuset.mems"]) {
    const own = fs.readFileSync(path.join(dir, f), "utf8").trim();
    if (own === "") fs.writeFileSync(path.join(dir, f), fs.readFileSync(path.join(path.dirname(dir), f), "utf8").trim());
  }
}

export function enterCgroups(dirs: CgroupDir[], pid: number): void {
  for (const d of dirs) step(`add pid ${pid} to cgroup ${d.dir}`, () => fs.writeFileSync(path.join(d.dir, "cgroup.procs"), String(pid)));
}

export function cgroupPids(dir: string): number[] {
  try {
    return fs.readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * rmdir(2) of a cgroup fails with EBUSY until its last task has really exited, which lags the
 * kill by a moment; retry briefly. Deepest directories first.
 */
export function removeCgroups(dirs: string[]): string[] {
  const errors: string[] = [];
  const sorted = [...new Set(dirs)].sort((a, b) => b.length - a.length);
  for (const d of sorted) {
    if (hasChildCgroups(d)) continue; // a parent we made that others now use
    for (let attempt = 0; ; attempt++) {
      try {
        fs.rmdirSync(d);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT") break;
        if (code === "EBUSY" && attempt < 50) { Bun.sleepSync(10); continue; }
        errors.push(`remove cgroup ${d}: ${code ?? String(e)}`);
        break;
      }
    }
  }
  return errors;
}

function hasChildCgroups(dir: string): boolean {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory());
  } catch {
    return false;
  }
}
