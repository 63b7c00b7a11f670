// pause, resume, update, events: the verbs that act on a running container's cgroups.
import { realSys, type Sys } from "../sys";
import type { Resources } from "../spec/types";
import { UsageError } from "../errors";
import { driverFor, statsEvent, type CgroupDriver } from "../linux/cgroups";
import { updateSystemdUnit } from "../linux/cgroups/systemd";
import { statusOf, stateDir, initAlive, type SavedState } from "../state/state";
import { withContainer } from "./lifecycle";
import { readContainer } from "./query";

export function driverOf(saved: SavedState): CgroupDriver {
  if (!saved.cgroups?.length) throw new UsageError(`container ${saved.id} has no cgroups recorded (created by an older tsrunc?)`);
  return driverFor(saved.cgroups, { bpf: realSys() });
}

export function pauseContainer(sys: Sys, root: string, id: string): void {
  withContainer(sys, root, id, ({ saved, dir }) => {
    const status = statusOf(saved, dir);
    if (status === "paused") return;
    if (status !== "running" && status !== "created") throw new UsageError("container not running");
    driverOf(saved).freeze();
  });
}

export function resumeContainer(sys: Sys, root: string, id: string): void {
  withContainer(sys, root, id, ({ saved, dir }) => {
    if (statusOf(saved, dir) !== "paused") throw new UsageError("container not paused");
    driverOf(saved).thaw();
  });
}

export function updateContainer(sys: Sys, root: string, id: string, r: Resources): void {
  withContainer(sys, root, id, ({ saved, dir }) => {
    if (statusOf(saved, dir) === "stopped") throw new UsageError("container not running");
    const drv = driverOf(saved);
    // systemd first, as runc does: it rewrites the unit's cgroup files from its own view of the
    // limits, so they must be the new ones before (and after) the files are written
    if (saved.systemdUnit) updateSystemdUnit(sys, saved.systemdUnit, r, drv, saved.cgroups ?? []);
    drv.apply(r, { update: true });
  });
}

export function statsLine(root: string, id: string): string {
  const saved = readContainer(root, id);
  if (statusOf(saved, stateDir(root, id)) === "stopped") throw new UsageError("container not running");
  return statsEvent(id, driverOf(saved).stats());
}

/** runc's event stream: a stats event every interval, an oom event when the kill count grows */
export async function streamEvents(root: string, id: string, intervalMs: number, out: (line: string) => void): Promise<void> {
  const saved = readContainer(root, id);
  const drv = driverOf(saved);
  let ooms = BigInt(drv.oomKillCount());
  for (;;) {
    // the OOM killer may have ended the container itself: report that before stopping
    const now = BigInt(drv.oomKillCount());
    if (now > ooms) out(JSON.stringify({ type: "oom", id }));
    ooms = now;
    if (!initAlive(saved)) return;
    out(statsEvent(id, drv.stats()));
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
