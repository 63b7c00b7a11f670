// Temporary directories shaped like cgroupfs for the cgroup unit tests: each controller's file
// names and default contents as a fresh child cgroup shows them (v1 lists copied from this
// Debian 12 / Linux 6.18 hybrid host; hugetlb, net_cls, net_prio, rdma and v2 from the kernel's
// cgroup-v1/*.rst and cgroup-v2.rst, since this host does not mount them). Files that are absent
// stay absent, so a write to them fails with ENOENT as in cgroupfs.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CgroupFileError, fsIO, type CgroupIO } from "../../src/linux/cgroups/fsio";

const ERRNO: Record<string, number> = { EPERM: 1, ENOENT: 2, EBUSY: 16, EINVAL: 22 };

const UNLIMITED = "9223372036854771712";
const COMMON_V1 = { "cgroup.clone_children": "0", "cgroup.procs": "", notify_on_release: "0", tasks: "" };

export const V1: Record<string, Record<string, string>> = {
  memory: {
    ...COMMON_V1, "cgroup.event_control": "", "memory.failcnt": "0", "memory.force_empty": "", "memory.kmem.failcnt": "0",
    "memory.kmem.limit_in_bytes": UNLIMITED, "memory.kmem.max_usage_in_bytes": "0", "memory.kmem.slabinfo": "",
    "memory.kmem.tcp.failcnt": "0", "memory.kmem.tcp.limit_in_bytes": UNLIMITED, "memory.kmem.tcp.max_usage_in_bytes": "0",
    "memory.kmem.tcp.usage_in_bytes": "0", "memory.kmem.usage_in_bytes": "0", "memory.limit_in_bytes": UNLIMITED,
    "memory.max_usage_in_bytes": "0", "memory.memsw.failcnt": "0", "memory.memsw.limit_in_bytes": UNLIMITED,
    "memory.memsw.max_usage_in_bytes": "0", "memory.memsw.usage_in_bytes": "0", "memory.move_charge_at_immigrate": "0",
    "memory.numa_stat": "", "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n", "memory.pressure_level": "",
    "memory.soft_limit_in_bytes": UNLIMITED, "memory.stat": "", "memory.swappiness": "60", "memory.usage_in_bytes": "0",
    "memory.use_hierarchy": "1",
  },
  cpu: {
    ...COMMON_V1, "cpu.cfs_burst_us": "0", "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1", "cpu.idle": "0",
    "cpu.rt_period_us": "1000000", "cpu.rt_runtime_us": "0", "cpu.shares": "1024",
    "cpu.stat": "nr_periods 0\nnr_throttled 0\nthrottled_time 0\nnr_bursts 0\nburst_time 0\n", "cpu.stat.local": "throttled_time 0\n",
  },
  cpuacct: {
    ...COMMON_V1, "cpuacct.stat": "user 0\nsystem 0\n", "cpuacct.usage": "0", "cpuacct.usage_all": "cpu user system\n0 0 0\n1 0 0\n",
    "cpuacct.usage_percpu": "0 0 ", "cpuacct.usage_percpu_sys": "0 0 ", "cpuacct.usage_percpu_user": "0 0 ", "cpuacct.usage_sys": "0", "cpuacct.usage_user": "0",
  },
  cpuset: {
    ...COMMON_V1, "cpuset.cpu_exclusive": "0", "cpuset.cpus": "0-1", "cpuset.effective_cpus": "0-1", "cpuset.effective_mems": "0",
    "cpuset.mem_exclusive": "0", "cpuset.mem_hardwall": "0", "cpuset.memory_migrate": "0", "cpuset.memory_pressure": "0",
    "cpuset.memory_spread_page": "0", "cpuset.memory_spread_slab": "0", "cpuset.mems": "0", "cpuset.sched_load_balance": "1",
    "cpuset.sched_relax_domain_level": "-1",
  },
  blkio: {
    ...COMMON_V1, "blkio.bfq.io_service_bytes": "Total 0\n", "blkio.bfq.io_service_bytes_recursive": "Total 0\n", "blkio.bfq.io_serviced": "Total 0\n",
    "blkio.bfq.io_serviced_recursive": "Total 0\n", "blkio.bfq.weight": "100", "blkio.bfq.weight_device": "default 100\n", "blkio.reset_stats": "",
    "blkio.throttle.io_service_bytes": "Total 0\n", "blkio.throttle.io_service_bytes_recursive": "Total 0\n", "blkio.throttle.io_serviced": "Total 0\n",
    "blkio.throttle.io_serviced_recursive": "Total 0\n", "blkio.throttle.read_bps_device": "", "blkio.throttle.read_iops_device": "",
    "blkio.throttle.write_bps_device": "", "blkio.throttle.write_iops_device": "",
  },
  pids: { ...COMMON_V1, "pids.current": "0", "pids.events": "max 0\n", "pids.max": "max", "pids.peak": "0" },
  freezer: { ...COMMON_V1, "freezer.parent_freezing": "0", "freezer.self_freezing": "0", "freezer.state": "THAWED" },
  devices: { ...COMMON_V1, "devices.allow": "", "devices.deny": "", "devices.list": "a *:* rwm\n" },
  hugetlb: {
    ...COMMON_V1, "hugetlb.2MB.failcnt": "0", "hugetlb.2MB.limit_in_bytes": UNLIMITED, "hugetlb.2MB.max_usage_in_bytes": "0",
    "hugetlb.2MB.usage_in_bytes": "0", "hugetlb.2MB.rsvd.failcnt": "0", "hugetlb.2MB.rsvd.limit_in_bytes": UNLIMITED,
    "hugetlb.2MB.rsvd.max_usage_in_bytes": "0", "hugetlb.2MB.rsvd.usage_in_bytes": "0",
    "hugetlb.1GB.failcnt": "0", "hugetlb.1GB.limit_in_bytes": UNLIMITED, "hugetlb.1GB.max_usage_in_bytes": "0", "hugetlb.1GB.usage_in_bytes": "0",
  },
  net_cls: { ...COMMON_V1, "net_cls.classid": "0" },
  net_prio: { ...COMMON_V1, "net_prio.ifpriomap": "lo 0\neth0 0\n", "net_prio.prioidx": "2" },
  rdma: { ...COMMON_V1, "rdma.current": "", "rdma.max": "" },
};

/** a cgroup v2 child whose parent enabled cpu, cpuset, io, memory, hugetlb, pids and rdma */
export const V2: Record<string, string> = {
  "cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma", "cgroup.events": "populated 0\nfrozen 0\n", "cgroup.freeze": "0",
  "cgroup.kill": "", "cgroup.max.depth": "max", "cgroup.max.descendants": "max", "cgroup.pressure": "1", "cgroup.procs": "",
  "cgroup.stat": "nr_descendants 0\nnr_dying_descendants 0\n", "cgroup.subtree_control": "", "cgroup.threads": "", "cgroup.type": "domain",
  "cpu.idle": "0", "cpu.max": "max 100000", "cpu.max.burst": "0", "cpu.pressure": "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
  "cpu.stat": "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n",
  "cpu.weight": "100", "cpu.weight.nice": "0", "cpuset.cpus": "", "cpuset.cpus.effective": "0-1", "cpuset.cpus.partition": "member",
  "cpuset.mems": "", "cpuset.mems.effective": "0", "hugetlb.2MB.current": "0", "hugetlb.2MB.events": "max 0\n", "hugetlb.2MB.events.local": "max 0\n",
  "hugetlb.2MB.max": "max", "hugetlb.2MB.numa_stat": "total=0 N0=0\n", "hugetlb.2MB.rsvd.current": "0", "hugetlb.2MB.rsvd.max": "max",
  "io.max": "", "io.pressure": "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
  "io.stat": "", "io.weight": "default 100\n", "memory.current": "0", "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n",
  "memory.events.local": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n", "memory.high": "max", "memory.low": "0", "memory.max": "max",
  "memory.min": "0", "memory.numa_stat": "", "memory.oom.group": "0", "memory.peak": "0",
  "memory.pressure": "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
  "memory.stat": "", "memory.swap.current": "0", "memory.swap.events": "high 0\nmax 0\nfail 0\n", "memory.swap.high": "max", "memory.swap.max": "max",
  "memory.swap.peak": "0", "pids.current": "0", "pids.events": "max 0\n", "pids.max": "max", "pids.peak": "0", "rdma.current": "", "rdma.max": "",
};

const roots: string[] = [];

export function tmpRoot(): string {
  // tmpfs when there is one: hundreds of small files per test are slow on a disk-backed /tmp
  const base = fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
  const d = fs.mkdtempSync(path.join(base, "tsrunc-cgfake-"));
  roots.push(d);
  return d;
}

export function cleanupFakes(): void {
  for (const d of roots.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** a directory holding `files` (names relative to it; intermediate dirs created) */
export function fakeDir(files: Record<string, string>, dir = path.join(tmpRoot(), "c1")): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

export function without(files: Record<string, string>, ...names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(files).filter(([k]) => !names.includes(k)));
}

export function readIn(dir: string, name: string): string {
  return fs.readFileSync(path.join(dir, name), "utf8");
}

/** every write, in order, as "file=value" with the file relative to `base` */
export interface Recorder extends CgroupIO { writes: string[] }

/**
 * fsIO, recording writes and letting a test answer a write with an errno (the kernel's EBUSY,
 * EINVAL) or rewrite what a later read sees (the kernel clamping cpu.shares, FREEZING).
 */
export function recordingIO(base: string, hooks: { write?: (name: string, value: string) => string | void; read?: (name: string, text: string) => string } = {}): Recorder {
  const rel = (f: string) => path.relative(base, f);
  const io: Recorder = {
    ...fsIO,
    writes: [],
    write(file, value) {
      const code = hooks.write?.(rel(file), value);
      if (code) {
        io.writes.push(`${rel(file)}=${value} !${code}`);
        throw new CgroupFileError("write", file, code, ERRNO[code] ?? 5, value);
      }
      io.writes.push(`${rel(file)}=${value}`);
      fsIO.write(file, value);
    },
    read(file) {
      const text = fsIO.read(file);
      return hooks.read ? hooks.read(rel(file), text) : text;
    },
    sleep() {},
  };
  return io;
}
