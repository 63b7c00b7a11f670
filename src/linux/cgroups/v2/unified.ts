// linux.resources.unified: raw cgroup v2 key/values (config-linux.md "Unified"), written last so
// they override the converted fields, as runc's setUnified does. Keys are validated first.
import * as path from "../../../pathname";
import type { Resources } from "../../../spec/types";
import { CgroupFiles, fsIO, UnsupportedResource, type CgroupIO } from "../fsio";

const P = "/linux/resources/unified";
// Core files the runtime itself drives; a config writing them would move or kill tasks behind
// the runtime's back (stricter than runc, which only forbids "/").
const RUNTIME_OWNED = new Set(["cgroup.procs", "cgroup.threads", "cgroup.kill", "cgroup.freeze", "cgroup.type", "cgroup.subtree_control"]);

function enabledControllers(dir: string, io: CgroupIO): Set<string> {
  // a child's controllers are the ones its parent enabled (cgroup-v2.rst "Enabling and Disabling")
  const parent = path.join(path.dirname(dir), "cgroup.subtree_control");
  const file = io.exists(parent) ? parent : path.join(dir, "cgroup.controllers");
  return new Set(io.exists(file) ? io.read(file).trim().split(/\s+/).filter(Boolean) : []);
}

export function check(dir: string, r: Resources, io: CgroupIO = fsIO): UnsupportedResource[] {
  const out: UnsupportedResource[] = [];
  const f = new CgroupFiles(dir, io);
  let enabled: Set<string> | undefined;
  for (const key of Object.keys(r.unified ?? {})) {
    const ptr = `${P}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    const m = /^([a-z0-9_]+)\.([A-Za-z0-9_.-]+)$/.exec(key);
    if (key.includes("/") || key.includes("..") || !m) {
      out.push(new UnsupportedResource(ptr, `${JSON.stringify(key)} is not a "<controller>.<file>" name`));
      continue;
    }
    if (RUNTIME_OWNED.has(key)) {
      out.push(new UnsupportedResource(ptr, `${key} is managed by the runtime and cannot be set through unified`));
      continue;
    }
    const controller = m[1];
    if (controller !== "cgroup") {
      enabled ??= enabledControllers(dir, io);
      if (!enabled.has(controller)) {
        out.push(new UnsupportedResource(ptr, `needs the ${controller} controller, not enabled in ${path.join(path.dirname(dir), "cgroup.subtree_control")}`));
        continue;
      }
    }
    if (!f.has(key)) out.push(new UnsupportedResource(ptr, `${key} does not exist in ${dir}`));
  }
  return out;
}

/** one write per line: files like io.max take one rule per write (crun's write_unified_resources) */
export function apply(dir: string, r: Resources, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  for (const [key, value] of Object.entries(r.unified ?? {})) {
    for (const line of value.split("\n")) if (line.trim() !== "") f.write(key, line);
  }
}
