// Naming with the systemd driver: cgroupsPath "slice:prefix:name" becomes a transient unit in a
// slice, as runc reads it (docs/systemd.md): "system.slice:tsrunc:abc" → tsrunc-abc.scope in
// system.slice; an empty slice means system.slice; a name ending in ".slice" is itself a slice
// (made under the given one) and the prefix is ignored.
import * as path from "../../../pathname";
import { dirsAt, type CgroupDir, type Hierarchy } from "../hierarchy";

export interface SystemdUnit {
  /** the unit to start: "tsrunc-abc.scope" or "kubepods-besteffort.slice" */
  unit: string;
  /** the parent slice: "system.slice" */
  slice: string;
  kind: "scope" | "slice";
}

/** the prefix when cgroupsPath is empty (runc uses "runc") */
export const DEFAULT_PREFIX = "tsrunc";
const DEFAULT_SLICE = "system.slice";

export function parseSystemdPath(cgroupsPath: string | undefined, id: string): SystemdUnit {
  const p = cgroupsPath ?? "";
  const parts = p === "" ? ["", DEFAULT_PREFIX, id] : p.split(":");
  if (parts.length !== 3) {
    throw new Error(`linux.cgroupsPath ${JSON.stringify(p)}: with --systemd-cgroup it must have the form "slice:prefix:name" (e.g. "system.slice:tsrunc:${id}")`);
  }
  const [slice, prefix, name] = parts;
  if (name === "") throw new Error(`linux.cgroupsPath ${JSON.stringify(p)}: the name (after the second ":") is empty`);
  const parent = slice || DEFAULT_SLICE;
  expandSlice(parent); // validates
  const kind = name.endsWith(".slice") ? "slice" : "scope";
  // runc's getUnitName joins prefix and name with "-" even when the prefix is empty: kubelet and
  // containerd compute the same unit names, so keep them identical
  const unit = kind === "slice" ? name : `${prefix}-${name}.scope`;
  checkUnitName(unit);
  if (kind === "slice") expandSlice(unit);
  return { unit, slice: parent, kind };
}

/**
 * systemd encodes slice nesting with "-": "a-b-c.slice" is /a.slice/a-b.slice/a-b-c.slice, and
 * "-.slice" is the root (systemd.slice(5)). Rejects what systemd rejects: no "/", no empty
 * component ("a--b.slice", "-a.slice").
 */
export function expandSlice(slice: string): string {
  const bad = () => new Error(`invalid slice name ${JSON.stringify(slice)}`);
  if (!slice.endsWith(".slice") || slice.length <= ".slice".length || slice.includes("/")) throw bad();
  const base = slice.slice(0, -".slice".length);
  if (base === "-") return "/";
  let out = "", prefix = "";
  for (const c of base.split("-")) {
    if (c === "") throw bad();
    out += `/${prefix}${c}.slice`;
    prefix += `${c}-`;
  }
  return out;
}

// systemd's unit_name_is_valid: at most 255 bytes of [A-Za-z0-9:_.\-@]; checked here so a bad
// container id fails with the config's name for it instead of a bare InvalidArgs from systemd
function checkUnitName(unit: string): void {
  if (unit.length > 255 || !/^[A-Za-z0-9:_.\\@-]+$/.test(unit)) {
    throw new Error(`systemd unit name ${JSON.stringify(unit)}: only letters, digits and ":_.\\@-", at most 255 characters`);
  }
}

/** D-Bus object paths escape every byte outside [A-Za-z0-9] as _XX (sd_bus_path_encode) */
export function unitObjectPath(unit: string): string {
  const esc = [...Buffer.from(unit)].map((b) => (/[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `_${b.toString(16).padStart(2, "0")}`)).join("");
  return `/org/freedesktop/systemd1/unit/${esc}`;
}

/**
 * Where systemd will put the unit, before it exists (runc's getSubsystemPath): under PID 1's own
 * cgroup minus its init.scope (systemd's root; "/" on a host, deeper when systemd runs in a
 * container), then the expanded slice, then the unit. `create` needs the directories before the
 * first process exists (the init's plan names them); startSystemdScope returns the real ones.
 */
export function predictSystemdDirs(hierarchies: Hierarchy[], initCgroups: Map<string, string>, u: SystemdUnit): CgroupDir[] {
  const rel = path.posix.join(expandSlice(u.slice), u.unit);
  return hierarchies.map((h) => {
    const init = initCgroups.get(h.key) ?? "/";
    const root = init === "/init.scope" || init.endsWith("/init.scope") ? path.posix.dirname(init) : init;
    return dirsAt([h], path.posix.join(root, rel))[0];
  });
}
