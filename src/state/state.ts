// Container state on disk: <root>/<id>/state.json (written atomically: tmp + rename) and
// <root>/<id>/exec.fifo while the container is created but not started.
import * as path from "../pathname";
import { fs } from "../linux/lazy-fs";
import { writeFile, readText, pathExists } from "../linux/file";
import { realSys } from "../sys";
import type { State } from "../spec/types";
import { UsageError } from "../errors";

export const SPEC_VERSION = "1.3.0";
export const DEFAULT_ROOT = "/run/tsrunc";

/** what tsrunc keeps beyond the runtime-spec state to manage the container later */
export interface SavedState extends Omit<State, "status"> {
  /** field 22 of /proc/<pid>/stat when created: a recycled pid has another start time */
  initStartTime: number;
  cgroupDirs: string[];
  /** the same directories with their hierarchy, for the cgroup driver of later calls */
  cgroups: import("../linux/cgroups/hierarchy").CgroupDir[];
  cgroupCreated: string[];
  /** --systemd-cgroup: the transient unit holding the container (stopped on delete) */
  systemdUnit?: string;
  /** the namespaces the container made, by type, for exec and the hooks of later issues */
  namespaces: string[];
  rootless: boolean;
  /** resctrl groups this container created (linux.intelRdt) */
  intelRdtDirs?: string[];
  /** linux.netDevices, moved back to the host on delete */
  netDevices?: Record<string, { name?: string }>;
  /** set while `create` runs: a create that died leaves this, and delete --force cleans it up */
  creating?: boolean;
  /** poststart and poststop run from later calls; createContainer/startContainer are the init's */
  hooks?: import("../spec/types").Hooks;
}

export function stateDir(root: string, id: string): string {
  return path.join(root, id);
}

export function fifoPath(dir: string): string {
  return path.join(dir, "exec.fifo");
}

export function readSaved(root: string, id: string): SavedState {
  const file = path.join(stateDir(root, id), "state.json");
  let text: string;
  try {
    text = readText(file);
  } catch {
    throw new UsageError(`container "${id}" does not exist`);
  }
  return JSON.parse(text) as SavedState;
}

export function writeSaved(dir: string, s: SavedState): void {
  const tmp = path.join(dir, `.state.json.${process.pid}`);
  // through Sys: create writes it before it sends the init its plan, without node:fs (lazy-fs.ts)
  writeFile(tmp, JSON.stringify(s), undefined, 0o600);
  realSys().rename(tmp, path.join(dir, "state.json"));
}

export function listIds(root: string): string[] {
  try {
    return fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** fields 3 (state) and 22 (starttime) of /proc/<pid>/stat; the comm field may hold spaces */
export function procStat(pid: number): { state: string; startTime: number } | null {
  let text: string;
  try {
    text = readText(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: rest[0], startTime: Number(rest[19]) };
}

/** the init process as saved is still alive (not a zombie, not a recycled pid) */
export function initAlive(s: SavedState): boolean {
  if (s.pid <= 0) return false;
  const st = procStat(s.pid);
  return !!st && st.startTime === s.initStartTime && st.state !== "Z" && st.state !== "X";
}

export type Status = State["status"];

export function statusOf(s: SavedState, dir: string): Status {
  if (s.creating) return "creating";
  if (!initAlive(s)) return "stopped";
  if (pathExists(fifoPath(dir))) return "created";
  if (isFrozen(s)) return "paused";
  return "running";
}

/** whether the container's freezer holds it (v1 freezer.state, or cgroup.freeze on a v2 host) */
export function isFrozen(s: SavedState): boolean {
  for (const d of s.cgroupDirs) {
    try {
      if (d.includes("/freezer/")) return readText(path.join(d, "freezer.state")).trim() === "FROZEN";
      if (!d.includes("/unified/") && pathExists(path.join(d, "cgroup.freeze"))) return readText(path.join(d, "cgroup.freeze")).trim() === "1";
    } catch {
      // a vanished cgroup is not frozen
    }
  }
  return false;
}

/** The runtime-spec state object with runc's extra fields, in runc's field order. */
export function ociState(s: SavedState, dir: string): State & { rootfs: string; created: string; owner: string } {
  const status = statusOf(s, dir);
  const out: State = {
    ociVersion: s.ociVersion, id: s.id, pid: status === "stopped" ? 0 : s.pid, status, bundle: s.bundle,
    rootfs: s.rootfs, created: s.created, owner: s.owner,
  };
  if (s.annotations && Object.keys(s.annotations).length) out.annotations = s.annotations;
  return out;
}
