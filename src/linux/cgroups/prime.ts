// Moving a task between cgroups (v1 or v2) takes cgroup_threadgroup_rwsem for writing, and that
// waits for an RCU grace period unless another writer went through within the last one (the
// kernel's rcu_sync). Measured here: the first write to a cgroup.procs takes 8-10 ms, the next
// ones ~0.1 ms. Moving ourselves into the cgroup we are already in changes nothing but starts that
// grace period; done on a pool thread as create, run and exec start, PID 1's (or the exec'd
// process's) real move later is fast.
// The write holds cgroup_mutex meanwhile: mkdir of a cgroup waits for it (reading
// /proc/<pid>/cgroup does not), so create makes its cgroups after sending the init its plan.
// The fast window lasts about one grace period after the last writer: create primes again once
// its cgroups exist, so a slow init still finds the window open when it is moved.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Hierarchy } from "./hierarchy";

let procsFile: string | undefined;

/**
 * main.ts, first thing for create, run and exec: the grace period is the longest wait of a
 * create, so this runs before anything else. Only /proc/self/cgroup is read, and the no-op move
 * goes to where the cgroup2 hierarchy is normally mounted (/sys/fs/cgroup/unified on hybrid
 * hosts, /sys/fs/cgroup on v2 ones) or to the first v1 controller's usual mount point; a host that
 * mounts them elsewhere only loses the head start (create primes again with the real paths).
 */
export function primeCgroupMovesNow(): void {
  try {
    const lines = fs.readFileSync("/proc/self/cgroup", "latin1").split("\n");
    const v2 = lines.find((l) => l.startsWith("0::"))?.slice(3);
    const v1 = lines.find((l) => /^\d+:[^:]+:/.test(l) && !l.startsWith("0::"));
    const candidates = v2 !== undefined ? [`/sys/fs/cgroup/unified${v2}`, `/sys/fs/cgroup${v2}`] : [];
    if (v1) {
      const [, ctrl, p] = /^\d+:([^:]+):(.*)$/.exec(v1)!;
      candidates.push(`/sys/fs/cgroup/${ctrl.replace(/^name=/, "")}${p}`);
    }
    for (const dir of candidates) if (fs.existsSync(path.join(dir, "cgroup.procs"))) { write((procsFile = path.join(dir, "cgroup.procs"))); return; }
  } catch { /* only a speed-up */ }
}

/** another no-op move: to the file the first one used, or found from the host's hierarchies */
export function primeCgroupMovesAgain(hierarchies: Hierarchy[], own: Map<string, string>): void {
  if (procsFile) write(procsFile);
  else primeCgroupMoves(hierarchies, own);
}

function write(procs: string): void {
  // best effort: a failure only means PID 1's move waits for the grace period itself
  fs.promises.writeFile(procs, String(process.pid)).catch(() => {});
}

export function primeCgroupMoves(hierarchies: Hierarchy[], own: Map<string, string>): void {
  const h = hierarchies.find((x) => own.has(x.key));
  const mine = h && own.get(h.key);
  if (!h || mine === undefined || !mine.startsWith(h.root)) return;
  procsFile = path.join(h.mountpoint, mine.slice(h.root.length), "cgroup.procs");
  write(procsFile);
}
