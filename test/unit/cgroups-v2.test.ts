// cgroup v2: runc's conversions (shares → weight, blkio weight → io.weight, memsw → swap.max,
// quota/period → cpu.max), the v2 files, unified validation, and the v1-only fields refused.
import { afterEach, describe, expect, test } from "bun:test";
import * as path from "node:path";
import { blkioWeightToIoWeight, cpuMax, parseCpuList, sharesToWeight, swapToV2 } from "../../src/linux/cgroups/convert";
import { driverFor } from "../../src/linux/cgroups/driver";
import type { BpfSys } from "../../src/linux/cgroups/v2/devices";
import { swapMax } from "../../src/linux/cgroups/v2/memory";
import type { Resources } from "../../src/spec/types";
import { cleanupFakes, fakeDir, readIn, recordingIO, tmpRoot, V2, without } from "./cgroups-fakefs";

afterEach(cleanupFakes);

type Hooks = Parameters<typeof recordingIO>[1];

function v2(opts: { files?: Record<string, string>; drop?: string[]; enabled?: string; hooks?: Hooks; bpf?: BpfSys } = {}) {
  const root = tmpRoot();
  fakeDir({ "cgroup.subtree_control": opts.enabled ?? "cpuset cpu io memory hugetlb pids rdma", "cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc" }, path.join(root, "pod"));
  const dir = fakeDir(without({ ...V2, ...opts.files }, ...(opts.drop ?? [])), path.join(root, "pod", "c1"));
  const io = recordingIO(dir, opts.hooks);
  const drv = driverFor([{ key: "", dir, version: 2 }], { io, bpf: opts.bpf });
  return { dir, io, drv, apply: (r: Resources) => drv.apply(r, { update: true }) };
}

const MiB = 1024 * 1024;

describe("conversions", () => {
  test("cpu.shares → cpu.weight (runc: 1 + ((shares - 2) * 9999) / 262142)", () => {
    expect([0, 2, 512, 1024, 4096, 262144].map(sharesToWeight)).toEqual([0, 1, 20, 39, 157, 10000]);
  });

  test("blkio weight → io.weight (linear 10..1000 → 1..10000)", () => {
    expect([0, 10, 100, 500, 1000].map(blkioWeightToIoWeight)).toEqual([0, 1, 910, 4950, 10000]);
  });

  test("memory.swap (memory+swap) → memory.swap.max (swap only), runc's rules", () => {
    expect(swapToV2(0, 0)).toBe(0);
    expect(swapToV2(0, -1)).toBe(-1); // unlimited memory, swap unset: unlimited swap
    expect(swapToV2(-1, 4 * MiB)).toBe(-1);
    expect(swapToV2(8 * MiB, 4 * MiB)).toBe(4 * MiB);
    expect(swapToV2(4 * MiB, 4 * MiB)).toBe(0);
    expect(() => swapToV2(8 * MiB, 0)).toThrow("unable to set swap limit without memory limit");
    expect(() => swapToV2(8 * MiB, -1)).toThrow("unable to set swap limit without memory limit");
    expect(() => swapToV2(2 * MiB, 4 * MiB)).toThrow("memory+swap limit should be >= memory limit");
    // swap == memory means "no swap": written as 0, not left alone
    expect(swapMax({ limit: 4 * MiB, swap: 4 * MiB })).toBe("0");
    expect(swapMax({ limit: -1 })).toBe("max");
    expect(swapMax({ limit: 4 * MiB })).toBe("");
  });

  test("cpu.max from quota and period", () => {
    expect(cpuMax(50000, 100000)).toBe("50000 100000");
    expect(cpuMax(50000, 0)).toBe("50000");
    expect(cpuMax(-1, 0)).toBe("max");
    expect(cpuMax(0, 250000)).toBe("max 250000");
  });

  test("cpu lists", () => {
    expect(parseCpuList("0-2,7\n")).toEqual([0, 1, 2, 7]);
    expect(parseCpuList("")).toEqual([]);
  });
});

describe("v2 memory", () => {
  test("swap.max, then max, then low (reservation)", () => {
    const h = v2();
    h.apply({ memory: { limit: 64 * MiB, swap: 96 * MiB, reservation: 32 * MiB } });
    expect(h.io.writes).toEqual(["memory.swap.max=33554432", "memory.max=67108864", "memory.low=33554432"]);
    expect(readIn(h.dir, "memory.max")).toBe("67108864");
  });

  test("-1 is max for memory and swap", () => {
    const h = v2();
    h.apply({ memory: { limit: -1 } });
    expect(h.io.writes).toEqual(["memory.swap.max=max", "memory.max=max"]);
  });

  test("v1-only fields are refused together, before any write", () => {
    const h = v2();
    expect(() => h.apply({ memory: { limit: MiB, kernelTCP: MiB, swappiness: 10, disableOOMKiller: true, useHierarchy: false } })).toThrow(
      "4 unsupported resources:\n" +
      "  /linux/resources/memory/kernelTCP: memory.kmem.tcp.limit_in_bytes exists only in cgroup v1; this host uses cgroup v2\n" +
      "  /linux/resources/memory/swappiness: memory.swappiness exists only in cgroup v1; this host uses cgroup v2\n" +
      "  /linux/resources/memory/disableOOMKiller: memory.oom_control (disabling the OOM killer) exists only in cgroup v1; this host uses cgroup v2\n" +
      "  /linux/resources/memory/useHierarchy: a non-hierarchical memory controller exists only in cgroup v1; this host uses cgroup v2");
    expect(h.io.writes).toEqual([]);
  });

  test("0/-1/false/true values that mean nothing on v2 are accepted", () => {
    const h = v2();
    h.apply({ memory: { limit: MiB, kernel: 0, kernelTCP: 0, swappiness: -1, disableOOMKiller: false, useHierarchy: true } });
    expect(h.io.writes).toEqual(["memory.max=1048576"]);
  });

  test("swap that cannot convert is refused with runc's reason", () => {
    expect(() => v2().apply({ memory: { swap: 8 * MiB } })).toThrow("/linux/resources/memory/swap: unable to set swap limit without memory limit");
  });

  test("without swap accounting: a limited swap is refused, max/0 are skipped", () => {
    const h = v2({ drop: ["memory.swap.max", "memory.swap.current"] });
    expect(() => h.apply({ memory: { limit: MiB, swap: 2 * MiB } })).toThrow("/linux/resources/memory/swap: needs memory.swap.max (swap accounting), not present on this host");
    h.apply({ memory: { limit: MiB, swap: MiB } });
    h.apply({ memory: { limit: -1 } });
    expect(h.io.writes).toEqual(["memory.max=1048576", "memory.max=max"]);
  });

  test("checkBeforeUpdate compares with memory.current", () => {
    const h = v2({ files: { "memory.current": String(10 * MiB) } });
    expect(() => h.apply({ memory: { limit: 10 * MiB, checkBeforeUpdate: true } })).toThrow("/linux/resources/memory/limit: rejecting memory limit 10485760 <= usage 10485760 (checkBeforeUpdate)");
    h.apply({ memory: { limit: 10 * MiB } }); // without the flag the kernel takes it (and reclaims)
    expect(h.io.writes).toEqual(["memory.max=10485760"]);
  });

  test("memory controller not enabled by the parent", () => {
    expect(() => v2({ drop: ["memory.max", "memory.low"] }).apply({ memory: { limit: MiB } })).toThrow(/^\/linux\/resources\/memory: needs the memory controller, not enabled for .*c1 \(see cgroup.subtree_control of its parent\)$/);
  });
});

describe("v2 cpu, cpuset, pids, hugetlb, rdma", () => {
  test("idle, weight, burst, max", () => {
    const h = v2();
    h.apply({ cpu: { shares: 1024, quota: 50000, period: 100000, burst: 20000, idle: 0 } });
    expect(h.io.writes).toEqual(["cpu.idle=0", "cpu.weight=39", "cpu.max.burst=20000", "cpu.max=50000 100000"]);
  });

  test("a burst above the old quota (EINVAL) is written again after cpu.max", () => {
    let first = true;
    const h = v2({ hooks: { write: (f) => (f === "cpu.max.burst" && first ? ((first = false), "EINVAL") : undefined) } });
    h.apply({ cpu: { quota: 80000, burst: 50000 } });
    expect(h.io.writes).toEqual(["cpu.max.burst=50000 !EINVAL", "cpu.max=80000", "cpu.max.burst=50000"]);
  });

  test("only a period: max quota with the period (runc)", () => {
    const h = v2();
    h.apply({ cpu: { period: 250000 } });
    expect(h.io.writes).toEqual(["cpu.max=max 250000"]);
  });

  test("realtime is v1-only", () => {
    expect(() => v2().apply({ cpu: { realtimeRuntime: 1000, realtimePeriod: 10000 } })).toThrow(
      "2 unsupported resources:\n  /linux/resources/cpu/realtimeRuntime: realtime cpu groups exist only in cgroup v1; this host uses cgroup v2\n  /linux/resources/cpu/realtimePeriod: realtime cpu groups exist only in cgroup v1; this host uses cgroup v2");
  });

  test("cpuset, pids, hugetlb with reservation, rdma", () => {
    const h = v2();
    h.apply({ cpu: { cpus: "0-1", mems: "0" }, pids: { limit: 0 }, hugepageLimits: [{ pageSize: "2MB", limit: 2 * MiB }], rdma: { mlx5_1: { hcaHandles: 3 } } });
    expect(h.io.writes).toEqual([
      "pids.max=max", "cpuset.cpus=0-1", "cpuset.mems=0", "hugetlb.2MB.max=2097152", "hugetlb.2MB.rsvd.max=2097152", "rdma.max=mlx5_1 hca_handle=3",
    ]);
  });

  test("unknown huge page size; pids controller missing", () => {
    expect(() => v2().apply({ hugepageLimits: [{ pageSize: "1GB", limit: 1 }] })).toThrow('/linux/resources/hugepageLimits/0/pageSize: huge page size "1GB" is not offered by the hugetlb controller here (sizes: 2MB)');
    expect(() => v2({ drop: ["pids.max"] }).apply({ pids: { limit: 5 } })).toThrow(/^\/linux\/resources\/pids\/limit: needs the pids controller, not enabled for /);
  });

  test("network is v1-only", () => {
    expect(() => v2().apply({ network: { classID: 1 } })).toThrow("/linux/resources/network: net_cls/net_prio exist only in cgroup v1; this host uses cgroup v2");
  });
});

describe("v2 io", () => {
  test("io.weight converted; per-device weights and io.max lines", () => {
    const h = v2();
    h.apply({ blockIO: {
      weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 100 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }], throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 100 }], throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 0 }],
    } });
    expect(h.io.writes).toEqual([
      "io.weight=4950", "io.weight=8:0 910", "io.max=8:0 rbps=1048576", "io.max=8:0 wbps=2097152", "io.max=8:16 riops=100", "io.max=8:16 wiops=max",
    ]);
  });

  test("with BFQ, io.bfq.weight takes the v1 weight as is", () => {
    const h = v2({ files: { "io.bfq.weight": "default 100\n" } });
    h.apply({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 100 }] } });
    expect(h.io.writes).toEqual(["io.bfq.weight=500", "io.bfq.weight=8:0 100"]);
  });

  test("leaf weights and out-of-range weights are refused", () => {
    expect(() => v2().apply({ blockIO: { weight: 5, leafWeight: 10 } })).toThrow(
      "2 unsupported resources:\n  /linux/resources/blockIO/leafWeight: leaf weights exist only in cgroup v1 (CFQ); this host uses cgroup v2\n  /linux/resources/blockIO/weight: weight 5 is outside 10..1000");
  });
});

describe("v2 unified", () => {
  test("values are written last, one line per write", () => {
    const h = v2();
    h.apply({ pids: { limit: 10 }, unified: { "memory.high": "1073741824", "io.max": "8:0 rbps=1\n8:16 wbps=2\n", "pids.max": "20", "cgroup.max.descendants": "5" } });
    expect(h.io.writes).toEqual(["pids.max=10", "memory.high=1073741824", "io.max=8:0 rbps=1", "io.max=8:16 wbps=2", "pids.max=20", "cgroup.max.descendants=5"]);
  });

  test("bad keys, runtime-owned files, disabled controllers, missing files", () => {
    const h = v2();
    expect(() => h.apply({ unified: { "../memory.max": "1", "memory/max": "1", foo: "1", "cgroup.procs": "1", "misc.max": "x 1", "memory.nothing": "1" } })).toThrow(
      "6 unsupported resources:\n" +
      '  /linux/resources/unified/..~1memory.max: "../memory.max" is not a "<controller>.<file>" name\n' +
      '  /linux/resources/unified/memory~1max: "memory/max" is not a "<controller>.<file>" name\n' +
      '  /linux/resources/unified/foo: "foo" is not a "<controller>.<file>" name\n' +
      "  /linux/resources/unified/cgroup.procs: cgroup.procs is managed by the runtime and cannot be set through unified\n" +
      `  /linux/resources/unified/misc.max: needs the misc controller, not enabled in ${path.dirname(h.dir)}/cgroup.subtree_control\n` +
      `  /linux/resources/unified/memory.nothing: memory.nothing does not exist in ${h.dir}`);
    expect(h.io.writes).toEqual([]);
  });
});

describe("v2 devices", () => {
  test("device rules need the bpf device filter", () => {
    expect(() => v2().drv.apply({ devices: [{ allow: false, access: "rwm" }] })).toThrow(
      "/linux/resources/devices: cgroup v2 device rules need the bpf(2) device filter, which this build cannot load");
  });

  test("a privileged container (allow a) needs no filter", () => {
    const h = v2();
    h.drv.apply({ devices: [{ allow: true, access: "rwm" }], pids: { limit: 1 } });
    expect(h.io.writes).toEqual(["pids.max=1"]);
  });

  test("with bpf, the filter is loaded and attached to the cgroup directory", () => {
    const calls: string[] = [];
    const bpf: BpfSys = {
      bpfProgLoad: (t, insns) => (calls.push(`load type=${t} insns=${insns.length / 8}`), 30),
      bpfProgQuery: () => (calls.push("query"), []),
      bpfProgGetFdById: () => 0,
      bpfProgAttach: (target, prog, type, flags) => void calls.push(`attach ${target} ${prog} ${type} ${flags}`),
      bpfProgDetach: () => {},
      open: (p) => (calls.push(`open ${path.basename(p)}`), 20),
      close: (fd) => void calls.push(`close ${fd}`),
    };
    const h = v2({ bpf });
    h.drv.apply({ devices: [{ allow: false, access: "rwm" }], pids: { limit: 5 } });
    expect(calls).toEqual(["open c1", "load type=15 insns=64", "query", "attach 20 30 6 2", "close 30", "close 20"]);
    expect(h.io.writes).toEqual(["pids.max=5"]);
  });
});
