// One interface over the three cgroup layouts, picked at run time from the container's
// directories (cgroupDirs): v1 (one hierarchy per controller), v2 (one unified hierarchy) and
// hybrid (v1 controllers plus an empty cgroup2 mount, which gets the container's processes but
// no limits: runc's fs driver on such hosts). Every field is checked before anything is written,
// so an unsupported field leaves the cgroups untouched.
import type { Resources } from "../../spec/types";
import { applyV1Devices } from "./devices";
import { fsIO, isSet, nonZero, UnsupportedResource, UnsupportedResources, type CgroupIO, type Num } from "./fsio";
import type { CgroupDir } from "./hierarchy";
import { emptyStats, type RuncStats } from "./stats";
import { allPids } from "./tree";
export { allPids };
import * as v1blkio from "./v1/blkio";
import * as v1cpu from "./v1/cpu";
import * as v1cpuset from "./v1/cpuset";
import * as v1freezer from "./v1/freezer";
import * as v1hugetlb from "./v1/hugetlb";
import * as v1memory from "./v1/memory";
import * as v1net from "./v1/net";
import * as v1pids from "./v1/pids";
import * as v1rdma from "./v1/rdma";
import * as v2cpu from "./v2/cpu";
import * as v2cpuset from "./v2/cpuset";
import { allowsEverything } from "./v2/devicefilter";
import { applyDeviceFilter, type BpfSys } from "./v2/devices";
import * as v2freezer from "./v2/freezer";
import * as v2hugetlb from "./v2/hugetlb";
import * as v2io from "./v2/io";
import * as v2memory from "./v2/memory";
import * as v2pids from "./v2/pids";
import * as v2rdma from "./v2/rdma";
import * as v2unified from "./v2/unified";

export type CgroupMode = "v1" | "v2" | "hybrid";

export interface ApplyOptions {
  /** `update` of a running container: device rules are rewritten only when given */
  update?: boolean;
}

export interface CgroupDriver {
  mode: CgroupMode;
  /** checks every set field, then writes them; throws UnsupportedResources before any write */
  apply(r: Resources, opts?: ApplyOptions): void;
  freeze(): void;
  thaw(): void;
  state(): "frozen" | "thawed";
  /** every process in the container's cgroup and its sub-cgroups */
  pids(): number[];
  stats(): RuncStats;
  /** OOM kills so far (v1 memory.oom_control, v2 memory.events "oom_kill"): `events` reports increases */
  oomKillCount(): Num;
}

export interface DriverOptions {
  io?: CgroupIO;
  /** bpf(2) for the v2 device filter; without it, device rules on a v2 host are an error */
  bpf?: BpfSys;
}

const isV1Controller = (d: CgroupDir) => d.version === 1 && !d.key.startsWith("name=");

export function cgroupMode(dirs: CgroupDir[]): CgroupMode {
  const v1 = dirs.some(isV1Controller), v2 = dirs.some((d) => d.version === 2);
  return v1 && v2 ? "hybrid" : v1 ? "v1" : v2 ? "v2" : "v1";
}

export function driverFor(dirs: CgroupDir[], opts: DriverOptions = {}): CgroupDriver {
  const io = opts.io ?? fsIO;
  const mode = cgroupMode(dirs);
  if (mode === "v2") return v2Driver(dirs.find((d) => d.version === 2)!.dir, io, opts.bpf);
  return v1Driver(dirs, mode, io);
}


function fail(problems: UnsupportedResource[]): void {
  if (problems.length > 0) throw new UnsupportedResources(problems);
}

// Which controllers a Resources needs: runc's "0 means not set" for most numbers, so
// containerd's `{"memory":{"reservation":0,"kernel":0}}` asks for nothing.
function wantsMemory(r: Resources): boolean {
  const m = r.memory;
  if (!m) return false;
  return [m.limit, m.reservation, m.swap, m.kernelTCP].some(nonZero) || (isSet(m.swappiness) && m.swappiness !== -1) || !!m.disableOOMKiller || isSet(m.useHierarchy);
}

function wantsCpu(r: Resources): boolean {
  const c = r.cpu;
  return !!c && ([c.shares, c.quota, c.period, c.realtimeRuntime, c.realtimePeriod].some(nonZero) || isSet(c.burst) || isSet(c.idle));
}

function wantsCpuset(r: Resources): boolean {
  const c = r.cpu;
  return !!c && ((isSet(c.cpus) && c.cpus !== "") || (isSet(c.mems) && c.mems !== ""));
}

function wantsBlkio(r: Resources): boolean {
  const b = r.blockIO;
  if (!b) return false;
  const lists = [b.weightDevice, b.throttleReadBpsDevice, b.throttleWriteBpsDevice, b.throttleReadIOPSDevice, b.throttleWriteIOPSDevice];
  return [b.weight, b.leafWeight].some(nonZero) || lists.some((l) => (l ?? []).length > 0);
}

const missing = (ptr: string, controller: string) =>
  new UnsupportedResource(ptr, `needs the ${controller} controller, not mounted as a cgroup v1 hierarchy on this host`);

function v1Driver(dirs: CgroupDir[], mode: CgroupMode, io: CgroupIO): CgroupDriver {
  const dirOf = (c: string) => dirs.find((d) => d.version === 1 && d.key.split(",").includes(c))?.dir;
  const freezerDir = () => {
    const d = dirOf("freezer");
    if (!d) throw new Error("pause/resume: the freezer controller is not mounted as a cgroup v1 hierarchy on this host");
    return d;
  };
  return {
    mode,
    apply(r, opts = {}) {
      const problems: UnsupportedResource[] = [];
      const need = (c: string, ptr: string, wanted: boolean, check?: (dir: string) => UnsupportedResource[]) => {
        if (!wanted) return;
        const d = dirOf(c);
        if (!d) problems.push(missing(ptr, c));
        else if (check) problems.push(...check(d));
      };
      const memWanted = wantsMemory(r), cpuWanted = wantsCpu(r), blkWanted = wantsBlkio(r);
      need("memory", "/linux/resources/memory", memWanted, (d) => v1memory.check(d, r, io));
      need("cpu", "/linux/resources/cpu", cpuWanted, (d) => v1cpu.check(d, r, io));
      need("cpuset", `/linux/resources/cpu/${isSet(r.cpu?.cpus) && r.cpu.cpus !== "" ? "cpus" : "mems"}`, wantsCpuset(r));
      need("pids", "/linux/resources/pids/limit", isSet(r.pids?.limit));
      need("blkio", "/linux/resources/blockIO", blkWanted, (d) => v1blkio.check(d, r, io));
      need("hugetlb", "/linux/resources/hugepageLimits", (r.hugepageLimits ?? []).length > 0, (d) => v1hugetlb.check(d, r, io));
      need("net_cls", "/linux/resources/network/classID", isSet(r.network?.classID));
      need("net_prio", "/linux/resources/network/priorities", (r.network?.priorities ?? []).length > 0);
      need("rdma", "/linux/resources/rdma", Object.keys(r.rdma ?? {}).length > 0);
      const devicesWanted = !opts.update || isSet(r.devices);
      need("devices", "/linux/resources/devices", devicesWanted && isSet(r.devices));
      if (Object.keys(r.unified ?? {}).length > 0) {
        // runc's ErrV1NoUnified: the unified keys are cgroup v2 files, and on a hybrid host the
        // cgroup2 mount has no controllers for them
        problems.push(new UnsupportedResource("/linux/resources/unified", `cannot use unified on cgroup v1 (this host's cgroups are ${mode})`));
      }
      fail(problems);
      // runc's fs subsystem order
      const at = (c: string, fn: (dir: string) => void) => { const d = dirOf(c); if (d) fn(d); };
      at("cpuset", (d) => v1cpuset.apply(d, r, io));
      if (devicesWanted) at("devices", (d) => applyV1Devices(d, r.devices, io));
      if (memWanted) at("memory", (d) => v1memory.apply(d, r, io));
      if (cpuWanted) at("cpu", (d) => v1cpu.apply(d, r, io));
      at("pids", (d) => v1pids.apply(d, r, io));
      if (blkWanted) at("blkio", (d) => v1blkio.apply(d, r, io));
      at("hugetlb", (d) => v1hugetlb.apply(d, r, io));
      at("net_cls", (d) => v1net.applyClassID(d, r, io));
      at("net_prio", (d) => v1net.applyPriorities(d, r, io));
      at("rdma", (d) => v1rdma.apply(d, r, io));
    },
    freeze: () => v1freezer.freeze(freezerDir(), io),
    thaw: () => v1freezer.thaw(freezerDir(), io),
    state: () => (dirOf("freezer") ? v1freezer.state(dirOf("freezer")!, io) : "thawed"),
    pids() {
      // every hierarchy holds every process; prefer the ones a container always has
      const d = ["pids", "freezer", "memory", "cpu", "devices"].map(dirOf).find((x) => x !== undefined) ?? dirs[0]?.dir;
      return d ? allPids(d, io) : [];
    },
    stats() {
      const s = emptyStats();
      const at = (c: string, fn: (dir: string) => void) => { const d = dirOf(c); if (d && io.exists(d)) fn(d); };
      at("cpu", (d) => v1cpu.stats(d, s, io));
      at("cpuacct", (d) => v1cpu.cpuacctStats(d, s, io));
      at("cpuset", (d) => v1cpuset.stats(d, s, io));
      at("memory", (d) => v1memory.stats(d, s, io));
      at("pids", (d) => v1pids.stats(d, s, io));
      at("blkio", (d) => v1blkio.stats(d, s, io));
      at("hugetlb", (d) => v1hugetlb.stats(d, s, io));
      return s;
    },
    oomKillCount: () => (dirOf("memory") && io.exists(dirOf("memory")!) ? v1memory.oomKillCount(dirOf("memory")!, io) : 0),
  };
}

function v2Driver(dir: string, io: CgroupIO, bpf: BpfSys | undefined): CgroupDriver {
  return {
    mode: "v2",
    apply(r, opts = {}) {
      const devicesWanted = !opts.update || isSet(r.devices);
      const problems = [
        ...v2pids.check(dir, r, io), ...v2memory.check(dir, r, io), ...v2io.check(dir, r, io), ...v2cpu.check(dir, r, io),
        ...v2cpuset.check(dir, r, io), ...v2hugetlb.check(dir, r, io), ...v2rdma.check(dir, r, io), ...v2unified.check(dir, r, io),
      ];
      const n = r.network;
      if (n && (isSet(n.classID) || (n.priorities ?? []).length > 0)) {
        problems.push(new UnsupportedResource("/linux/resources/network", "net_cls/net_prio exist only in cgroup v1; this host uses cgroup v2"));
      }
      if (devicesWanted && !bpf && !allowsEverything(r.devices)) {
        problems.push(new UnsupportedResource("/linux/resources/devices", "cgroup v2 device rules need the bpf(2) device filter, which this build cannot load"));
      }
      fail(problems);
      // runc's fs2 Set order; unified last so it overrides
      v2pids.apply(dir, r, io);
      v2memory.apply(dir, r, io);
      v2io.apply(dir, r, io);
      v2cpu.apply(dir, r, io);
      if (devicesWanted && bpf) applyDeviceFilter(bpf, dir, r.devices);
      v2cpuset.apply(dir, r, io);
      v2hugetlb.apply(dir, r, io);
      v2rdma.apply(dir, r, io);
      v2unified.apply(dir, r, io);
    },
    freeze: () => v2freezer.freeze(dir, io),
    thaw: () => v2freezer.thaw(dir, io),
    state: () => v2freezer.state(dir, io),
    pids: () => allPids(dir, io),
    stats() {
      const s = emptyStats();
      if (!io.exists(dir)) return s;
      v2cpu.stats(dir, s, io);
      v2cpuset.stats(dir, s, io);
      v2memory.stats(dir, s, io);
      v2pids.stats(dir, s, io);
      v2io.stats(dir, s, io);
      v2hugetlb.stats(dir, s, io);
      return s;
    },
    oomKillCount: () => (io.exists(dir) ? v2memory.oomKillCount(dir, io) : 0),
  };
}
