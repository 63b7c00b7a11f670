// `ps`: the container's processes, from its cgroup (the only complete list: a process that
// double-forked away from PID 1 is still in it).
import { spawnSync } from "node:child_process";
import { pidsIn } from "./lifecycle";
import type { SavedState } from "../state/state";

export function containerPids(saved: SavedState): number[] {
  const pids = new Set<number>();
  for (const d of saved.cgroupDirs) for (const p of pidsIn(d)) pids.add(p); // sub-cgroups too (runc GetAllPids)
  return [...pids].sort((a, b) => a - b);
}

/**
 * runc's table form: run ps(1) with the caller's options (default -ef) and keep the header and
 * the lines whose PID column is one of the container's pids.
 */
export function psTable(pids: number[], psArgs: string[]): string {
  const r = spawnSync("ps", psArgs.length ? psArgs : ["-ef"], { encoding: "utf8" });
  if (r.error) throw new Error(`ps: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ps ${psArgs.join(" ")}: ${r.stderr.trim() || `exit status ${r.status}`}`);
  const lines = r.stdout.split("\n");
  const header = lines[0] ?? "";
  const col = header.trim().split(/\s+/).indexOf("PID");
  if (col < 0) throw new Error(`ps: no PID column in the output of ps ${psArgs.join(" ")}`);
  const want = new Set(pids);
  const rows = lines.slice(1).filter((l) => l.trim() && want.has(Number(l.trim().split(/\s+/)[col])));
  return [header, ...rows].join("\n") + "\n";
}
