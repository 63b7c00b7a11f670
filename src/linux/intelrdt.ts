// linux.intelRdt through the resctrl filesystem (Documentation/arch/x86/resctrl.rst): the
// container's tasks join a resource group (closID, or one named after the container), whose
// schemata lines set L3 cache and memory bandwidth allocation; enableMonitoring adds a
// monitoring group under it.
// node:fs on first use: unsupported.ts, on create's path, imports this module (lazy-fs.ts)
import { fs } from "./lazy-fs";
import * as path from "../pathname";
import { step } from "../errors";

export interface IntelRdt { closID?: string; l3CacheSchema?: string; memBwSchema?: string; schemata?: string[]; enableMonitoring?: boolean }

export const RESCTRL = "/sys/fs/resctrl";

export function resctrlMounted(root = RESCTRL): boolean {
  return fs.existsSync(path.join(root, "info"));
}

/** the schemata lines the config asks for, in resctrl's "RESOURCE:id=value;..." form */
export function schemataLines(r: IntelRdt): string[] {
  return [r.l3CacheSchema, r.memBwSchema, ...(r.schemata ?? [])].flatMap((s) => (s ?? "").split("\n")).map((l) => l.trim()).filter(Boolean);
}

/** Puts pid into the group; returns the directories it created, for delete. */
export function applyIntelRdt(r: IntelRdt, id: string, pid: number, root = RESCTRL): string[] {
  if (!resctrlMounted(root)) throw new Error("/linux/intelRdt: resctrl is not mounted on this host (mount -t resctrl resctrl /sys/fs/resctrl)");
  const created: string[] = [];
  return step("apply linux.intelRdt", () => {
    const group = path.join(root, r.closID ?? id);
    if (!fs.existsSync(group)) {
      fs.mkdirSync(group);
      created.push(group);
    } else if (!r.closID) {
      throw new Error(`resctrl group ${group} already exists`);
    }
    for (const line of schemataLines(r)) fs.writeFileSync(path.join(group, "schemata"), line + "\n");
    let tasks = path.join(group, "tasks");
    if (r.enableMonitoring) {
      const mon = path.join(group, "mon_groups", id);
      fs.mkdirSync(mon);
      created.push(mon);
      tasks = path.join(mon, "tasks");
    }
    fs.writeFileSync(tasks, String(pid));
    return created;
  });
}

/** rmdir of resctrl groups this container created, deepest first */
export function removeIntelRdt(dirs: string[]): string[] {
  const errors: string[] = [];
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    try { fs.rmdirSync(d); } catch (e) { if ((e as NodeJS.ErrnoException).code !== "ENOENT") errors.push(`remove ${d}: ${(e as Error).message}`); }
  }
  return errors;
}
