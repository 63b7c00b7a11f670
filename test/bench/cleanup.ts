// Cleanup: the bench's containers, their cgroups and its mounts go away even after a failure or Ctrl-C.
import * as fs from "node:fs";
import * as path from "node:path";
import { sleepMs } from "./proc";
import type { Runtime } from "./setup";

/** cgroup hierarchies mounted under /sys/fs/cgroup (v1 controllers, or the v2 root) */
function hierarchies(): string[] {
  const out: string[] = [];
  for (const l of fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const f = l.split(" ");
    const sep = f.indexOf("-");
    if (sep < 0 || !/^cgroup2?$/.test(f[sep + 1]) || !f[4]?.startsWith("/sys/fs/cgroup")) continue;
    out.push(f[4]);
  }
  return out;
}

/** cgroups named <prefix>* (the runtimes put a container without cgroupsPath at /<id>): their
 * processes are killed, then the cgroups removed. Returns what it found. */
export function sweepCgroups(prefix: string): string[] {
  if (!prefix.startsWith("tsbench-")) throw new Error(`refusing to sweep cgroups named ${prefix}*`);
  const found: string[] = [];
  for (const h of hierarchies()) {
    let names: string[];
    try {
      names = fs.readdirSync(h).filter((n) => n.startsWith(prefix));
    } catch {
      continue;
    }
    for (const n of names) found.push(path.join(h, n));
  }
  for (const cg of found) {
    try {
      for (const pid of fs.readFileSync(path.join(cg, "cgroup.procs"), "utf8").split("\n").filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {}
      }
    } catch {}
  }
  for (const cg of found) {
    for (let i = 0; i < 200; i++) {
      try {
        fs.rmdirSync(cg);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") break;
        sleepMs(10);
      }
    }
    if (fs.existsSync(cg)) console.error(`bench: could not remove cgroup ${cg}`);
  }
  return found;
}

/** processes with a container id of this run in their argv (e.g. a runtime's forked child that
 * hung before joining the container's cgroup): SIGKILLed. Returns their pids. */
export function killStragglers(prefix: string, id?: string): number[] {
  if (!prefix.startsWith("tsbench-")) throw new Error(`refusing to kill processes named ${prefix}*`);
  const match = id ? (a: string) => a === id : (a: string) => a.startsWith(`${prefix}-`);
  const killed: number[] = [];
  for (const p of fs.readdirSync("/proc")) {
    const pid = Number(p);
    if (!pid || pid === process.pid || pid === process.ppid) continue;
    let argv: string[];
    try {
      argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (!argv.some(match)) continue;
    try {
      process.kill(pid, "SIGKILL");
      killed.push(pid);
    } catch {}
  }
  return killed;
}

/** containers the bench may have left in each runtime's state: deleted with --force */
export function deleteContainers(runtimes: Runtime[], live: Map<string, Set<string>>, prefix: string): number {
  let n = 0;
  for (const rt of runtimes) {
    const ids = new Set(live.get(rt.name) ?? []);
    const l = Bun.spawnSync([rt.bin, "--root", rt.root, "list", "-q"], { stdin: "ignore", stdout: "pipe", stderr: "ignore" });
    if (l.exitCode === 0) for (const id of l.stdout.toString().split("\n")) if (id.startsWith(prefix)) ids.add(id.trim());
    for (const id of ids) {
      const r = Bun.spawnSync([rt.bin, "--root", rt.root, "delete", "--force", id], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
      if (r.exitCode === 0) n++;
    }
    live.get(rt.name)?.clear();
  }
  return n;
}

export function unmount(p: string): void {
  const r = Bun.spawnSync(["umount", p], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) Bun.spawnSync(["umount", "-l", p], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
}
