// User namespace id maps (user_namespaces(7)): written by the parent, which holds the privilege in
// the parent namespace; a process cannot map ids it does not own in the outer namespace.
import { fs } from "./lazy-fs";
import type { IdMapping } from "../spec/types";
import { step } from "../errors";

/** the uid_map/gid_map text: one "inside outside count" line per range, written in one write(2) */
export function formatIdMap(maps: IdMapping[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join("");
}

/** `0 1000 1\n1 100000 65536` → mappings; the inverse of formatIdMap */
export function parseIdMap(text: string): IdMapping[] {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const [containerID, hostID, size] = l.split(/\s+/).map(Number);
    return { containerID, hostID, size };
  });
}

/** host id of a container id under a mapping, or -1 when unmapped */
export function hostIdOf(maps: IdMapping[] | undefined, id: number): number {
  if (!maps || maps.length === 0) return id;
  for (const m of maps) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  return -1;
}

export function writeIdMaps(pid: number, uidMaps: IdMapping[], gidMaps: IdMapping[]): void {
  // "deny" is only required for unprivileged writers; as root we keep setgroups usable for
  // additionalGids, which runc also does when the runtime is privileged.
  step(`write /proc/${pid}/uid_map`, () => fs.writeFileSync(`/proc/${pid}/uid_map`, formatIdMap(uidMaps)));
  step(`write /proc/${pid}/gid_map`, () => fs.writeFileSync(`/proc/${pid}/gid_map`, formatIdMap(gidMaps)));
}

/** time_namespaces(7): offsets go in before the first process enters the new namespace */
export function writeTimeOffsets(offsets: Record<string, { secs?: number; nanosecs?: number }>): void {
  const lines = Object.entries(offsets).map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`);
  step("write /proc/self/timens_offsets", () => fs.writeFileSync("/proc/self/timens_offsets", lines.join("")));
}
