// The systemd cgroup driver's placement (runc's --systemd-cgroup): systemd creates the
// container's cgroup as a transient scope (or slice) through its D-Bus API, with the first
// process in it; tsrunc then finds the directories systemd made and keeps using the cgroupfs
// driver on them for limits, pause/resume, update and stats, exactly as runc's systemd managers
// wrap its fs ones.
import * as fs from "node:fs";
import { StepError } from "../../../errors";
import { cgroupMode } from "../driver";
import { dirsAt, hostHierarchies, type CgroupDir, type Hierarchy } from "../hierarchy";
import { createCgroups, enterCgroups, removeCgroups } from "../index";
import type { Resources } from "../../../spec/types";
import { Connection, DBusError, fdTransport, parseAddress, type BusSys } from "./dbus";
import { baseProperties, resourceProperties, type Property } from "./properties";
import { parseSystemdPath, unitObjectPath } from "./unit";
import { Variant, type DBusValue } from "./wire";

const SYSTEMD = "org.freedesktop.systemd1";
const MANAGER_PATH = "/org/freedesktop/systemd1";
const MANAGER = "org.freedesktop.systemd1.Manager";
const PROPERTIES = "org.freedesktop.DBus.Properties";
/** runc waits this long for each job */
const JOB_TIMEOUT_MS = 30_000;

export interface SystemdOptions {
  /** a D-Bus address; default: defaultBusAddress() */
  address?: string;
  hierarchies?: Hierarchy[];
  timeoutMs?: number;
  /** more properties, e.g. from org.systemd.property.* annotations; they come last, so they win */
  extra?: Property[];
}

export interface SystemdScope {
  /** the unit to stop on delete */
  unit: string;
  /** the unit's cgroup on every hierarchy, for driverFor() */
  dirs: CgroupDir[];
  /** the directories tsrunc made itself (hierarchies systemd does not manage): delete removes them */
  created: string[];
}

/**
 * $DBUS_SYSTEM_BUS_ADDRESS when set; else, for root, systemd's private socket, as systemctl does:
 * it needs no dbus-daemon, and systemd sends job signals there unconditionally; else the system bus.
 */
export function defaultBusAddress(env: Record<string, string | undefined> = process.env, uid = process.getuid?.() ?? 0): string {
  if (env.DBUS_SYSTEM_BUS_ADDRESS) return env.DBUS_SYSTEM_BUS_ADDRESS;
  if (uid === 0 && fs.existsSync("/run/systemd/private")) return "unix:path=/run/systemd/private";
  return "unix:path=/run/dbus/system_bus_socket";
}

/** systemd is the init system here (sd_booted(3): /run/systemd/system is a directory) */
export function systemdRunning(): boolean {
  try {
    return fs.statSync("/run/systemd/system").isDirectory();
  } catch {
    return false;
  }
}

/**
 * Starts the container's unit with `pid` in it (runc calls this Apply, with runc-init's pid),
 * then makes and joins the hierarchies systemd leaves alone (cpuset, freezer... on v1). The
 * caller applies linux.resources through driverFor(dirs) afterwards, as runc's Set does.
 */
export function startSystemdScope(sys: BusSys, cgroupsPath: string | undefined, id: string, pid: number, resources: Resources, opts: SystemdOptions = {}): SystemdScope {
  const u = wrap("systemd: read linux.cgroupsPath", () => parseSystemdPath(cgroupsPath, id));
  const hier = opts.hierarchies ?? hostHierarchies();
  const mode = cgroupMode(hier.map((h) => ({ key: h.key, dir: h.mountpoint, version: h.version })));
  const bus = connect(sys, opts);
  try {
    const version = managerVersion(bus);
    const props = wrap("systemd: unit properties from linux.resources", () => [
      ...baseProperties(u, { id, pid: u.kind === "scope" ? pid : 0, mode }), ...resourceProperties(resources, mode, version), ...(opts.extra ?? []),
    ]);
    startUnit(bus, u.unit, props, opts.timeoutMs ?? JOB_TIMEOUT_MS);
    let created: string[] = [];
    try {
      const cg = controlGroup(bus, u.unit, u.kind);
      const dirs = dirsAt(hier, cg);
      created = createCgroups(dirs);
      if (pid > 0) enterCgroups(dirs, pid);
      return { unit: u.unit, dirs, created };
    } catch (e) {
      const cleanup = [...stopUnit(bus, u.unit, opts.timeoutMs ?? JOB_TIMEOUT_MS), ...removeCgroups(created)];
      if (cleanup.length) throw new StepError(`systemd: place pid ${pid} in unit "${u.unit}" (cleanup also failed: ${cleanup.join("; ")})`, e);
      throw new StepError(`systemd: place pid ${pid} in unit "${u.unit}"`, e);
    }
  } finally {
    bus.close();
  }
}

/**
 * Stops the unit (systemd kills what is left in it and removes its cgroups) and clears a failed
 * state so the name can be reused. Returns problems instead of throwing, for delete to report
 * next to the cgroup removals; a unit that is already gone is not one.
 */
export function stopSystemdScope(sys: BusSys, unit: string, opts: SystemdOptions = {}): string[] {
  let bus: Connection;
  try {
    bus = connect(sys, opts);
  } catch (e) {
    return [(e as Error).message];
  }
  try {
    return stopUnit(bus, unit, opts.timeoutMs ?? JOB_TIMEOUT_MS);
  } finally {
    bus.close();
  }
}

/**
 * Tells systemd new property values for a running unit (SetUnitProperties with runtime=true:
 * they last until the unit goes, which is the container's lifetime), so that a daemon-reload
 * or another re-realization of the unit's cgroup writes these values and not the ones of
 * create. `build` receives systemd's version, for the version-gated properties.
 */
export function setUnitProperties(sys: BusSys, unit: string, build: (version: number) => Property[], opts: SystemdOptions = {}): void {
  const what = `systemd: set properties of unit "${unit}"`;
  const bus = connect(sys, opts);
  try {
    const props = wrap(`${what}: unit properties from linux.resources`, () => build(managerVersion(bus)));
    if (!props.length) return;
    try {
      callManager(bus, "SetUnitProperties", "sba(sv)", [unit, true, props], opts.timeoutMs ?? JOB_TIMEOUT_MS);
    } catch (e) {
      // the scope ends by itself when its last process exits, or someone stopped it: say so
      // plainly rather than as systemd's bare error name
      if (e instanceof DBusError && e.errorName === `${SYSTEMD}.NoSuchUnit`) throw new StepError(what, new Error(`the unit no longer exists (${e.message})`));
      throw new StepError(what, e);
    }
  } finally {
    bus.close();
  }
}

function wrap<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new StepError(what, e);
  }
}

function connect(sys: BusSys, opts: SystemdOptions): Connection {
  const address = opts.address ?? defaultBusAddress();
  return wrap(`systemd: connect to D-Bus at ${address}`, () => {
    let last: unknown;
    for (const a of parseAddress(address)) {
      let fd: number;
      try {
        fd = sys.connectUnix(a.path);
      } catch (e) {
        last = e;
        continue;
      }
      const bus = Connection.open(fdTransport(sys, fd), { direct: a.direct, uid: process.getuid?.() ?? 0, address });
      // a message bus forwards a broadcast signal only to connections that asked for it
      if (!a.direct) {
        bus.call({ destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "AddMatch", signature: "s",
          body: [`type='signal',sender='${SYSTEMD}',path='${MANAGER_PATH}',interface='${MANAGER}',member='JobRemoved'`] });
      }
      return bus;
    }
    throw last;
  });
}

/** "252.38-1~deb12u1" → 252; -1 when unknown, which leaves out the version-gated properties */
export function parseSystemdVersion(s: string): number {
  const m = /^"?v?(\d+)/.exec(s);
  return m ? Number(m[1]) : -1;
}

function managerVersion(bus: Connection): number {
  try {
    const [v] = bus.call({ destination: SYSTEMD, path: MANAGER_PATH, interface: PROPERTIES, member: "Get", signature: "ss", body: [MANAGER, "Version"] });
    return v instanceof Variant && typeof v.value === "string" ? parseSystemdVersion(v.value) : -1;
  } catch {
    return -1;
  }
}

const callManager = (bus: Connection, member: string, signature: string, body: DBusValue[], timeoutMs?: number) =>
  bus.call({ destination: SYSTEMD, path: MANAGER_PATH, interface: MANAGER, member, signature, body }, timeoutMs);

/** waits for the job's JobRemoved(u id, o job, s unit, s result) and returns the result */
function jobResult(bus: Connection, job: DBusValue, unit: string, timeoutMs: number): string {
  const m = bus.waitSignal((s) => s.interface === MANAGER && s.member === "JobRemoved" && s.body[1] === job, timeoutMs, `systemd's job for ${unit}`);
  return String(m.body[3]);
}

function startUnit(bus: Connection, unit: string, props: Property[], timeoutMs: number): void {
  const what = `systemd: start unit "${unit}"`;
  let job: DBusValue;
  try {
    [job] = callManager(bus, "StartTransientUnit", "ssa(sv)a(sa(sv))", [unit, "replace", props, []], timeoutMs);
  } catch (e) {
    if (!(e instanceof DBusError && e.errorName === `${SYSTEMD}.UnitExists`)) throw new StepError(what, e);
    // a leftover failed unit of the same name (a container that crashed before delete):
    // reset-failed lets systemd forget it, then one more try (runc does the same)
    resetFailed(bus, unit);
    try {
      [job] = callManager(bus, "StartTransientUnit", "ssa(sv)a(sa(sv))", [unit, "replace", props, []], timeoutMs);
    } catch (e2) {
      throw new StepError(what, e2);
    }
  }
  const result = wrap(what, () => jobResult(bus, job, unit, timeoutMs));
  if (result !== "done") {
    resetFailed(bus, unit);
    throw new StepError(what, new Error(`the job ended "${result}" (journalctl -u ${unit} tells why)`));
  }
}

function stopUnit(bus: Connection, unit: string, timeoutMs: number): string[] {
  const problems: string[] = [];
  try {
    const [job] = callManager(bus, "StopUnit", "ss", [unit, "replace"], timeoutMs);
    const result = jobResult(bus, job, unit, timeoutMs);
    if (result !== "done") problems.push(`systemd: stop unit "${unit}": the job ended "${result}"`);
  } catch (e) {
    // the scope stops by itself once its last process exits; then there is nothing to stop
    if (!(e instanceof DBusError && e.errorName === `${SYSTEMD}.NoSuchUnit`)) problems.push(`systemd: stop unit "${unit}": ${(e as Error).message}`);
  }
  resetFailed(bus, unit);
  return problems;
}

function resetFailed(bus: Connection, unit: string): void {
  try {
    callManager(bus, "ResetFailedUnit", "s", [unit]);
  } catch {
    // best effort: a unit that is not failed (or gone) answers with an error too
  }
}

/** the unit's cgroup path as systemd made it, relative to the hierarchies' roots */
function controlGroup(bus: Connection, unit: string, kind: "scope" | "slice"): string {
  const iface = `${SYSTEMD}.${kind === "scope" ? "Scope" : "Slice"}`;
  const [v] = bus.call({ destination: SYSTEMD, path: unitObjectPath(unit), interface: PROPERTIES, member: "Get", signature: "ss", body: [iface, "ControlGroup"] });
  const cg = v instanceof Variant ? v.value : undefined;
  if (typeof cg !== "string" || !cg.startsWith("/")) throw new Error(`systemd reports no cgroup for unit "${unit}" (ControlGroup ${JSON.stringify(cg)})`);
  return cg;
}
