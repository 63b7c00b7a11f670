// Moving a task between cgroups (v1 or v2) takes cgroup_threadgroup_rwsem for writing, and that
// waits for an RCU grace period unless another writer went through within the last one (the
// kernel's rcu_sync). Measured here: the first write to a cgroup.procs takes 8-10 ms, the next
// ones ~0.1 ms. Moving ourselves into the cgroup we are already in changes nothing but starts that
// grace period; done on a thread of its own as create, run and exec start, PID 1's (or the exec'd
// process's) real move later is fast.
// The write holds cgroup_mutex meanwhile: mkdir of a cgroup waits for it (reading
// /proc/<pid>/cgroup does not), so create makes its cgroups after sending the init its plan.
// The fast window lasts about one grace period after the last writer: create primes again once
// its cgroups exist, so a slow init still finds the window open when it is moved.
// No node:fs here: loading it costs ~1.1 ms, and main.ts runs this before anything else.
import type { Hierarchy } from "./hierarchy";
import type { Sys } from "../../sys";
// statically: a first require() of a chunk costs ~0.9 ms here, before the init engine's spawn
import { primeFromProcSelfCgroup } from "../../sys/primer";
import { map, find } from "../../sys/arrays";

let procsFile: string | undefined;
let primer: Pick<Sys, "writeInBackground"> | undefined;

/**
 * main.ts, first thing, before parent.ts starts the init engine: the grace period is the longest
 * wait of a create that follows no other cgroup move (after runc: 21.5 ms against 24.0 ms when
 * the spawn goes first; right after another create, the window is still open and the spawn first
 * wins by ~0.7 ms). Only /proc/self/cgroup is read, and the no-op move goes to where the cgroup2 hierarchy
 * is normally mounted (/sys/fs/cgroup/unified on hybrid hosts, /sys/fs/cgroup on v2 ones) or to
 * the first v1 controller's usual mount point; a host that mounts them elsewhere only loses the
 * head start (create primes again with the real paths).
 */
export function primeCgroupMovesNow(
  sys: () => Pick<Sys, "open" | "read" | "close" | "writeInBackground">,
  early = () => primeFromProcSelfCgroup(primeCandidates, String(process.pid)),
): void {
  try {
    procsFile = early();
    return;
  } catch { /* no bun:ffi (the JIT is off): through Sys */ }
  const s = sys();
  primer = s;
  try {
    const candidates = primeCandidates(readSmall(s, "/proc/self/cgroup"));
    for (const procs of candidates) {
      try {
        write((procsFile = procs));
        return;
      } catch { /* not mounted there: the next one */ }
    }
    procsFile = undefined;
  } catch { /* only a speed-up */ }
}

/** the cgroup.procs files of our own cgroups at the usual mount points, most likely first */
export function primeCandidates(procSelfCgroup: string): string[] {
  // string operations only: a first regular expression costs ~0.2 ms here, and this runs before
  // the init engine is spawned
  const dirs: string[] = [];
  let v1: string | undefined;
  for (const line of procSelfCgroup.split("\n")) {
    const a = line.indexOf(":"), b = line.indexOf(":", a + 1);
    if (a <= 0 || b < 0) continue;
    const ctrl = line.slice(a + 1, b), p = line.slice(b + 1);
    if (ctrl === "" && line.slice(0, a) === "0") dirs.unshift(`/sys/fs/cgroup/unified${p}`, `/sys/fs/cgroup${p}`);
    else if (ctrl && !v1) v1 = `/sys/fs/cgroup/${ctrl.startsWith("name=") ? ctrl.slice(5) : ctrl}${p}`;
  }
  if (v1) dirs.push(v1);
  return map(dirs, (d) => `${d.endsWith("/") ? d.slice(0, -1) : d}/cgroup.procs`); // no Array builtin before the spawn (sys/arrays.ts)
}

/** another no-op move: to the file the first one used, or found from the host's hierarchies */
export function primeCgroupMovesAgain(hierarchies: Hierarchy[], own: Map<string, string>): void {
  try {
    if (procsFile) write(procsFile);
    else primeCgroupMoves(hierarchies, own);
  } catch { /* best effort: a failure only means PID 1's move waits for the grace period itself */ }
}

function write(procs: string): void {
  primer ??= (require("../../sys") as typeof import("../../sys")).realSys();
  primer.writeInBackground(procs, String(process.pid));
}

function primeCgroupMoves(hierarchies: Hierarchy[], own: Map<string, string>): void {
  const h = find(hierarchies, (x) => own.has(x.key));
  const mine = h && own.get(h.key);
  if (!h || mine === undefined || !mine.startsWith(h.root)) return;
  procsFile = `${h.mountpoint}${mine.slice(h.root.length)}/cgroup.procs`.replace(/\/+/g, "/");
  write(procsFile);
}

function readSmall(sys: Pick<Sys, "open" | "read" | "close">, path: string): string {
  const fd = sys.open(path, 0o2000000 /* O_RDONLY|O_CLOEXEC */, 0);
  try {
    const buf = new Uint8Array(8192);
    let n = 0;
    for (let r; n < buf.length && (r = sys.read(fd, buf.subarray(n))) > 0;) n += r;
    return Buffer.from(buf.buffer, 0, n).toString("latin1");
  } finally {
    sys.close(fd);
  }
}
