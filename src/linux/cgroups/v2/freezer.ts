// cgroup v2 freezer (cgroup-v2.rst "cgroup.freeze", Linux 5.2): write 1 to cgroup.freeze, then
// wait for "frozen 1" in cgroup.events, which the kernel sets once every task is stopped.
import { CgroupFiles, fsIO, type CgroupIO } from "../fsio";
import type { FreezerState } from "../v1/freezer";

function needFreezeFile(f: CgroupFiles): void {
  if (!f.has("cgroup.freeze")) throw new Error(`freeze ${f.dir}: cgroup.freeze is missing (the v2 freezer needs Linux 5.2)`);
}

/** runc's waitFrozen: poll cgroup.events every 10 ms, up to 10 s */
function waitFrozen(f: CgroupFiles, io: CgroupIO): void {
  for (let i = 0; i < 1000; i++) {
    if (f.keyValues("cgroup.events").get("frozen") === 1) return;
    io.sleep(10);
  }
  throw new Error(`freeze ${f.dir}: cgroup.events did not report "frozen 1" within 10s`);
}

export function freeze(dir: string, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  needFreezeFile(f);
  f.write("cgroup.freeze", "1");
  waitFrozen(f, io);
}

export function thaw(dir: string, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  if (!f.has("cgroup.freeze")) return; // nothing can be frozen without the file
  f.write("cgroup.freeze", "0");
  const v = f.read("cgroup.freeze").trim();
  if (v !== "0") throw new Error(`thaw ${dir}: cgroup.freeze reads ${JSON.stringify(v)} after writing 0`);
}

/** frozen when asked to be (cgroup.freeze 1), once the kernel confirms it in cgroup.events */
export function state(dir: string, io: CgroupIO = fsIO): FreezerState {
  const f = new CgroupFiles(dir, io);
  if (!f.has("cgroup.freeze") || f.read("cgroup.freeze").trim() !== "1") return "thawed";
  waitFrozen(f, io);
  return "frozen";
}
