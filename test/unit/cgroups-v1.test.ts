// cgroup v1 (and this host's hybrid layout): every linux.resources field written to the right
// file with the right value and order, and every unsupported field refused before any write.
import { afterEach, describe, expect, test } from "bun:test";
import * as path from "node:path";
import { driverFor } from "../../src/linux/cgroups/driver";
import type { CgroupDir } from "../../src/linux/cgroups/hierarchy";
import type { Resources } from "../../src/spec/types";
import { cleanupFakes, fakeDir, readIn, recordingIO, tmpRoot, V1, without } from "./cgroups-fakefs";

afterEach(cleanupFakes);

type Hooks = Parameters<typeof recordingIO>[1];
const BASE = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"];

/** this host's shape: the v1 controllers, name=systemd and an empty cgroup2 mount */
function hybrid(opts: { extra?: string[]; omit?: string[]; files?: Record<string, Record<string, string>>; drop?: Record<string, string[]>; hooks?: Hooks } = {}) {
  const root = tmpRoot();
  const dirs: CgroupDir[] = [];
  for (const c of [...BASE, ...(opts.extra ?? [])]) {
    if (opts.omit?.includes(c)) continue;
    const files = without({ ...V1[c], ...opts.files?.[c] }, ...(opts.drop?.[c] ?? []));
    dirs.push({ key: c, dir: fakeDir(files, path.join(root, c, "c1")), version: 1 });
  }
  dirs.push({ key: "name=systemd", dir: fakeDir({ "cgroup.procs": "" }, path.join(root, "systemd", "c1")), version: 1 });
  dirs.push({ key: "", dir: fakeDir({ "cgroup.controllers": "", "cgroup.procs": "", "cgroup.freeze": "0" }, path.join(root, "unified", "c1")), version: 2 });
  const io = recordingIO(root, opts.hooks);
  const drv = driverFor(dirs, { io });
  const at = (c: string, f: string) => readIn(path.join(root, c, "c1"), f);
  return { root, dirs, io, drv, at, apply: (r: Resources, update = true) => drv.apply(r, { update }) };
}

const MiB = 1024 * 1024;

describe("v1 memory (runc's fs/memory.go)", () => {
  test("limit alone", () => {
    const h = hybrid();
    h.apply({ memory: { limit: 4 * MiB } });
    expect(h.io.writes).toEqual(["memory/c1/memory.limit_in_bytes=4194304"]);
  });

  test("lowering from unlimited: memory first, then memsw (memory <= memsw at every step)", () => {
    const h = hybrid();
    h.apply({ memory: { limit: 4 * MiB, swap: 8 * MiB } });
    expect(h.io.writes).toEqual(["memory/c1/memory.limit_in_bytes=4194304", "memory/c1/memory.memsw.limit_in_bytes=8388608"]);
  });

  test("raising above the current limit: memsw first, then memory", () => {
    const h = hybrid({ files: { memory: { "memory.limit_in_bytes": String(4 * MiB), "memory.memsw.limit_in_bytes": String(8 * MiB) } } });
    h.apply({ memory: { limit: 16 * MiB, swap: 32 * MiB } });
    expect(h.io.writes).toEqual(["memory/c1/memory.memsw.limit_in_bytes=33554432", "memory/c1/memory.limit_in_bytes=16777216"]);
  });

  test("unlimited memory with swap unset unlimits memsw too, memsw first", () => {
    const h = hybrid();
    h.apply({ memory: { limit: -1 } });
    expect(h.io.writes).toEqual(["memory/c1/memory.memsw.limit_in_bytes=-1", "memory/c1/memory.limit_in_bytes=-1"]);
    const noSwap = hybrid({ drop: { memory: ["memory.memsw.limit_in_bytes"] } });
    noSwap.apply({ memory: { limit: -1 } });
    expect(noSwap.io.writes).toEqual(["memory/c1/memory.limit_in_bytes=-1"]);
  });

  test("reservation, kernelTCP, disableOOMKiller, useHierarchy, swappiness; kernel is ignored like runc", () => {
    const h = hybrid();
    h.apply({ memory: { reservation: 2 * MiB, kernel: 8 * MiB, kernelTCP: MiB, disableOOMKiller: true, useHierarchy: true, swappiness: 0 } });
    expect(h.io.writes).toEqual([
      "memory/c1/memory.soft_limit_in_bytes=2097152", "memory/c1/memory.kmem.tcp.limit_in_bytes=1048576",
      "memory/c1/memory.oom_control=1", "memory/c1/memory.use_hierarchy=1", "memory/c1/memory.swappiness=0",
    ]);
    expect(h.at("memory", "memory.kmem.limit_in_bytes")).toBe("9223372036854771712");
  });

  test("swappiness -1 and disableOOMKiller false write nothing", () => {
    const h = hybrid();
    h.apply({ memory: { swappiness: -1, disableOOMKiller: false } });
    expect(h.io.writes).toEqual([]);
  });

  test("swap without memsw files: refused with the pointer, nothing written", () => {
    const h = hybrid({ drop: { memory: ["memory.memsw.limit_in_bytes"] } });
    expect(() => h.apply({ memory: { limit: 4 * MiB, swap: 8 * MiB } })).toThrow(
      "/linux/resources/memory/swap: needs the memory controller's memory.memsw.* files (swap accounting), not present on this host");
    expect(h.io.writes).toEqual([]);
  });

  test("swappiness out of range", () => {
    expect(() => hybrid().apply({ memory: { swappiness: 101 } })).toThrow("/linux/resources/memory/swappiness: invalid value 101 (valid range is 0-100)");
  });

  test("EBUSY (below usage, unreclaimable) becomes runc's message", () => {
    const h = hybrid({
      files: { memory: { "memory.usage_in_bytes": "5242880", "memory.max_usage_in_bytes": "6291456" } },
      hooks: { write: (f) => (f.endsWith("memory.limit_in_bytes") ? "EBUSY" : undefined) },
    });
    expect(() => h.apply({ memory: { limit: 2 * MiB } })).toThrow("unable to set memory limit to 2097152 (current usage: 5242880, peak usage: 6291456)");
  });

  test("checkBeforeUpdate refuses a limit at or below the usage, before writing", () => {
    const h = hybrid({ files: { memory: { "memory.usage_in_bytes": String(5 * MiB), "memory.memsw.usage_in_bytes": String(5 * MiB) } } });
    expect(() => h.apply({ memory: { limit: 5 * MiB, checkBeforeUpdate: true } })).toThrow("/linux/resources/memory/limit: rejecting memory limit 5242880 <= usage 5242880");
    expect(() => h.apply({ memory: { limit: 8 * MiB, swap: 4 * MiB, checkBeforeUpdate: true } })).toThrow("rejecting memory+swap limit 4194304 <= usage 5242880");
    expect(h.io.writes).toEqual([]);
    h.apply({ memory: { limit: 8 * MiB, checkBeforeUpdate: true } });
    expect(h.io.writes).toEqual(["memory/c1/memory.limit_in_bytes=8388608"]);
  });

  test("containerd's update JSON writes only the set fields (0 means unset)", () => {
    const h = hybrid();
    h.apply({ memory: { limit: 64 * MiB, reservation: 0, swap: 128 * MiB, kernel: 0 }, cpu: { shares: 512, quota: 0, period: 0 }, blockIO: { weight: 0 } });
    expect(h.io.writes).toEqual([
      "memory/c1/memory.limit_in_bytes=67108864", "memory/c1/memory.memsw.limit_in_bytes=134217728", "cpu/c1/cpu.shares=512",
    ]);
  });
});

describe("v1 cpu (runc's fs/cpu.go)", () => {
  test("shares, period, burst, quota, idle, realtime in runc's order", () => {
    const h = hybrid();
    h.apply({ cpu: { shares: 512, period: 50000, burst: 10000, quota: 25000, idle: 1, realtimePeriod: 1000000, realtimeRuntime: 950000 } });
    expect(h.io.writes).toEqual([
      "cpu/c1/cpu.shares=512", "cpu/c1/cpu.cfs_period_us=50000", "cpu/c1/cpu.cfs_burst_us=10000", "cpu/c1/cpu.cfs_quota_us=25000",
      "cpu/c1/cpu.idle=1", "cpu/c1/cpu.rt_period_us=1000000", "cpu/c1/cpu.rt_runtime_us=950000",
    ]);
    expect(h.at("cpu", "cpu.cfs_quota_us")).toBe("25000");
  });

  test("quota -1 lifts the limit", () => {
    const h = hybrid();
    h.apply({ cpu: { quota: -1 } });
    expect(h.io.writes).toEqual(["cpu/c1/cpu.cfs_quota_us=-1"]);
  });

  test("a period refused with EINVAL is retried after the quota", () => {
    let first = true;
    const h = hybrid({ hooks: { write: (f) => (f.endsWith("cfs_period_us") && first ? ((first = false), "EINVAL") : undefined) } });
    h.apply({ cpu: { period: 10000, quota: 5000 } });
    expect(h.io.writes).toEqual(["cpu/c1/cpu.cfs_period_us=10000 !EINVAL", "cpu/c1/cpu.cfs_quota_us=5000", "cpu/c1/cpu.cfs_period_us=10000"]);
  });

  test("without a quota to write, the period's EINVAL is the error", () => {
    const h = hybrid({ hooks: { write: (f) => (f.endsWith("cfs_period_us") ? "EINVAL" : undefined) } });
    expect(() => h.apply({ cpu: { period: 10000 } })).toThrow(/cpu.cfs_period_us: EINVAL/);
  });

  test("rt period refused with EINVAL is retried after the runtime", () => {
    let first = true;
    const h = hybrid({ hooks: { write: (f) => (f.endsWith("rt_period_us") && first ? ((first = false), "EINVAL") : undefined) } });
    h.apply({ cpu: { realtimePeriod: 500000, realtimeRuntime: 400000 } });
    expect(h.io.writes).toEqual(["cpu/c1/cpu.rt_period_us=500000 !EINVAL", "cpu/c1/cpu.rt_runtime_us=400000", "cpu/c1/cpu.rt_period_us=500000"]);
  });

  test("shares clamped by the kernel are reported like runc", () => {
    const h = hybrid({ hooks: { read: (f, t) => (f.endsWith("cpu.shares") ? (Number(t) > 262144 ? "262144" : Number(t) < 2 ? "2" : t) : t) } });
    expect(() => h.apply({ cpu: { shares: 500000 } })).toThrow("/linux/resources/cpu/shares: the maximum allowed cpu-shares is 262144");
    expect(() => h.apply({ cpu: { shares: 1 } })).toThrow("/linux/resources/cpu/shares: the minimum allowed cpu-shares is 2");
  });

  test("burst and idle need their files (older kernels)", () => {
    const h = hybrid({ drop: { cpu: ["cpu.cfs_burst_us", "cpu.idle"] } });
    expect(() => h.apply({ cpu: { burst: 0, idle: 0 } })).toThrow(
      "2 unsupported resources:\n  /linux/resources/cpu/burst: needs cpu.cfs_burst_us (Linux 5.14), not present on this host\n  /linux/resources/cpu/idle: needs cpu.idle (Linux 5.15), not present on this host");
  });

  test("cpuset cpus and mems", () => {
    const h = hybrid();
    h.apply({ cpu: { cpus: "1", mems: "0" } });
    expect(h.io.writes).toEqual(["cpuset/c1/cpuset.cpus=1", "cpuset/c1/cpuset.mems=0"]);
  });
});

describe("v1 pids, blkio, hugetlb, net_cls/net_prio, rdma", () => {
  test("pids.limit: positive as is, 0 or below is max", () => {
    for (const [limit, want] of [[100, "100"], [0, "max"], [-1, "max"]] as const) {
      const h = hybrid();
      h.apply({ pids: { limit } });
      expect(h.io.writes).toEqual([`pids/c1/pids.max=${want}`]);
    }
  });

  test("blkio on BFQ (this host): weight, weightDevice, every throttle, one rule per write", () => {
    const h = hybrid();
    h.apply({ blockIO: {
      weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 300 }, { major: 8, minor: 16, weight: 200 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }], throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 0 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }, { major: 8, minor: 16, rate: 200 }], throttleWriteIOPSDevice: [{ major: 254, minor: 0, rate: 50 }],
    } });
    expect(h.io.writes).toEqual([
      "blkio/c1/blkio.bfq.weight=500", "blkio/c1/blkio.bfq.weight_device=8:0 300", "blkio/c1/blkio.bfq.weight_device=8:16 200",
      "blkio/c1/blkio.throttle.read_bps_device=8:0 1048576", "blkio/c1/blkio.throttle.write_bps_device=8:0 0",
      "blkio/c1/blkio.throttle.read_iops_device=8:0 100", "blkio/c1/blkio.throttle.read_iops_device=8:16 200",
      "blkio/c1/blkio.throttle.write_iops_device=254:0 50",
    ]);
  });

  test("blkio on CFQ: blkio.weight, leaf weights", () => {
    const h = hybrid({ files: { blkio: { "blkio.weight": "500", "blkio.weight_device": "", "blkio.leaf_weight": "500", "blkio.leaf_weight_device": "" } } });
    h.apply({ blockIO: { weight: 200, leafWeight: 300, weightDevice: [{ major: 8, minor: 0, weight: 100, leafWeight: 50 }] } });
    expect(h.io.writes).toEqual([
      "blkio/c1/blkio.weight=200", "blkio/c1/blkio.leaf_weight=300", "blkio/c1/blkio.weight_device=8:0 100", "blkio/c1/blkio.leaf_weight_device=8:0 50",
    ]);
  });

  test("leaf weights without CFQ are refused", () => {
    expect(() => hybrid().apply({ blockIO: { leafWeight: 300 } })).toThrow("/linux/resources/blockIO/leafWeight: needs blkio.leaf_weight (CFQ only), not present on this host");
  });

  test("hugetlb: limit and reservation limit per page size", () => {
    const h = hybrid({ extra: ["hugetlb"] });
    h.apply({ hugepageLimits: [{ pageSize: "2MB", limit: 4 * MiB }, { pageSize: "1GB", limit: 0 }] });
    expect(h.io.writes).toEqual(["hugetlb/c1/hugetlb.2MB.limit_in_bytes=4194304", "hugetlb/c1/hugetlb.2MB.rsvd.limit_in_bytes=4194304", "hugetlb/c1/hugetlb.1GB.limit_in_bytes=0"]);
  });

  test("hugetlb: an unknown page size, and no hugetlb hierarchy (this host)", () => {
    expect(() => hybrid({ extra: ["hugetlb"] }).apply({ hugepageLimits: [{ pageSize: "3MB", limit: 1 }] })).toThrow(
      '/linux/resources/hugepageLimits/0/pageSize: huge page size "3MB" is not offered by the hugetlb controller here (sizes: 1GB, 2MB)');
    const h = hybrid();
    expect(() => h.apply({ memory: { limit: MiB }, hugepageLimits: [{ pageSize: "2MB", limit: 1 }] })).toThrow(
      "/linux/resources/hugepageLimits: needs the hugetlb controller, not mounted as a cgroup v1 hierarchy on this host");
    expect(h.io.writes).toEqual([]); // the memory limit was not written either
  });

  test("net_cls classid and net_prio priorities", () => {
    const h = hybrid({ extra: ["net_cls", "net_prio"] });
    h.apply({ network: { classID: 0x100001, priorities: [{ name: "eth0", priority: 5 }, { name: "lo", priority: 2 }] } });
    expect(h.io.writes).toEqual(["net_cls/c1/net_cls.classid=1048577", "net_prio/c1/net_prio.ifpriomap=eth0 5", "net_prio/c1/net_prio.ifpriomap=lo 2"]);
  });

  test("network without net_cls/net_prio hierarchies (this host)", () => {
    expect(() => hybrid().apply({ network: { classID: 1, priorities: [{ name: "lo", priority: 1 }] } })).toThrow(
      "2 unsupported resources:\n  /linux/resources/network/classID: needs the net_cls controller, not mounted as a cgroup v1 hierarchy on this host\n  /linux/resources/network/priorities: needs the net_prio controller, not mounted as a cgroup v1 hierarchy on this host");
  });

  test("rdma.max lines", () => {
    const h = hybrid({ extra: ["rdma"] });
    h.apply({ rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 5 } } });
    expect(h.io.writes).toEqual(["rdma/c1/rdma.max=mlx5_1 hca_handle=3 hca_object=10000", "rdma/c1/rdma.max=mlx4_0 hca_object=5"]);
  });

  test("unified on a hybrid host is refused like runc's ErrV1NoUnified", () => {
    expect(() => hybrid().apply({ unified: { "memory.high": "1G" } })).toThrow(
      "/linux/resources/unified: cannot use unified on cgroup v1 (this host's cgroups are hybrid)");
  });

  test("a missing controller is named with the field", () => {
    expect(() => hybrid({ omit: ["pids"] }).apply({ pids: { limit: 5 } })).toThrow(
      "/linux/resources/pids/limit: needs the pids controller, not mounted as a cgroup v1 hierarchy on this host");
  });
});

describe("v1 devices through the driver", () => {
  test("create writes the config's rules then the defaults; update leaves them unless given", () => {
    const h = hybrid();
    h.drv.apply({ devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 10, minor: 200, access: "rwm" }] });
    expect(h.io.writes.slice(0, 3)).toEqual(["devices/c1/devices.deny=a", "devices/c1/devices.allow=c 10:200 rwm", "devices/c1/devices.allow=c *:* m"]);
    expect(h.io.writes.length).toBe(13);
    const u = hybrid();
    u.apply({ pids: { limit: 10 } });
    expect(u.io.writes).toEqual(["pids/c1/pids.max=10"]);
  });
});
