// The cgroup tree as delete, kill --all and ps walk it: every pid below a directory, and removal
// of the directories a container made. Apart from driver.ts so those verbs load no controller code.
import { fs } from "../lazy-fs";
import { realSys, sysLoaded } from "../../sys";
import { errnoName, errnoOf } from "../../errors";
import * as path from "../../pathname";
import { CgroupFiles, fsIO, type CgroupIO } from "./fsio";

/** through Sys once it is loaded (delete), else node:fs */
const rmdir = (d: string) => (sysLoaded() ? realSys().rmdir(d) : fs.rmdirSync(d));

/** runc's GetAllPids: cgroup.procs of the directory and every sub-cgroup below it */
export function allPids(dir: string, io: CgroupIO = fsIO): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    const f = new CgroupFiles(d, io);
    if (f.has("cgroup.procs")) for (const l of f.read("cgroup.procs").split("\n")) if (l.trim()) out.push(Number(l));
    for (const n of io.list(d)) if (io.isDir(path.join(d, n))) walk(path.join(d, n));
  };
  walk(dir);
  return out;
}

/**
 * rmdir(2) of a cgroup fails with EBUSY until its last task has really exited, which lags the
 * kill by a moment; retry briefly. Deepest directories first.
 */
export function removeCgroups(dirs: string[]): string[] {
  const errors: string[] = [];
  const sorted = [...new Set(dirs)].sort((a, b) => b.length - a.length);
  for (const d of sorted) {
    for (let attempt = 0; ; attempt++) {
      try {
        rmdir(d);
        break;
      } catch (e) {
        const errno = errnoOf(e);
        const code = errno ? errnoName(errno) : undefined;
        if (code === "ENOENT") break;
        // EBUSY: tasks still leaving, or child cgroups: a parent we made that others now use
        // (looked at only now: reading each directory first cost ~0.15 ms per hierarchy)
        if (code === "EBUSY" && hasChildCgroups(d)) break;
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
