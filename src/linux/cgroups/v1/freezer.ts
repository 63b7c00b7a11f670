// cgroup v1 freezer (Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst), runc's
// fs/freezer.go. Writing FROZEN starts freezing; the state reads FREEZING until every task
// stopped, and a cgroup that keeps gaining tasks (fork, exec joining) can stay FREEZING.
import { CgroupFiles, fsIO, type CgroupIO } from "../fsio";

export type FreezerState = "frozen" | "thawed";

/**
 * runc's retry loop: write FROZEN and read back, up to 1000 times; every 50th attempt thaw and
 * sleep 10 ms so forking tasks can settle, every 25th sleep briefly before reading. Left THAWED
 * (consistent) when it never settles.
 */
export function freeze(dir: string, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  for (let i = 0; i < 1000; i++) {
    if (i % 50 === 49) {
      f.write("freezer.state", "THAWED");
      io.sleep(10);
    }
    f.write("freezer.state", "FROZEN");
    if (i % 25 === 24) io.sleep(1);
    const state = f.read("freezer.state").trim();
    if (state === "FROZEN") return;
    if (state !== "FREEZING") throw new Error(`freeze ${dir}: unexpected freezer.state ${JSON.stringify(state)} after writing FROZEN`);
  }
  f.write("freezer.state", "THAWED");
  throw new Error(`freeze ${dir}: still FREEZING after 1000 attempts (tasks keep appearing); thawed again`);
}

export function thaw(dir: string, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  f.write("freezer.state", "THAWED");
  const state = f.read("freezer.state").trim();
  if (state !== "THAWED") throw new Error(`thaw ${dir}: freezer.state is ${JSON.stringify(state)} after writing THAWED`);
}

/**
 * FROZEN counts only when this cgroup itself was frozen (freezer.self_freezing 1), not a frozen
 * ancestor; FREEZING is transient, so read again (runc's GetState).
 */
export function state(dir: string, io: CgroupIO = fsIO): FreezerState {
  const f = new CgroupFiles(dir, io);
  for (let i = 0; ; i++) {
    const s = f.read("freezer.state").trim();
    if (s === "THAWED") return "thawed";
    if (s === "FROZEN") return !f.has("freezer.self_freezing") || f.read("freezer.self_freezing").trim() === "1" ? "frozen" : "thawed";
    if (s !== "FREEZING" || i >= 1000) throw new Error(`${dir}: unexpected freezer.state ${JSON.stringify(s)}`);
    io.sleep(1);
  }
}
