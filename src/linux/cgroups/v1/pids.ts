// pids controller (Documentation/admin-guide/cgroup-v1/pids.rst); the same files exist in v2,
// so v2/pids.ts reuses these. runc's fs/pids.go.
import type { Resources } from "../../../spec/types";
import { CgroupFiles, fsIO, int, isSet, type CgroupIO } from "../fsio";
import type { RuncStats } from "../stats";

/** pids.max value: a limit of 0 or below means no limit ("max"), as runc does */
export function pidsMax(limit: number): string {
  return limit > 0 ? int(limit) : "max";
}

export function apply(dir: string, r: Resources, io: CgroupIO = fsIO): void {
  const limit = r.pids?.limit;
  if (isSet(limit)) new CgroupFiles(dir, io).write("pids.max", pidsMax(limit));
}

export function stats(dir: string, s: RuncStats, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  if (!f.has("pids.current")) return;
  s.pids.current = f.num("pids.current") ?? 0;
  // "max" reports as 0, meaning no limit (runc)
  const max = f.read("pids.max").trim();
  s.pids.limit = max === "max" ? 0 : (f.num("pids.max") ?? 0);
}
