// `events --stats` data: parsing real v1 files from this host and realistic v2 files into runc's
// types.Stats shape, Go's omitempty, exact integers above 2^53.
import { afterEach, describe, expect, test } from "bun:test";
import * as path from "node:path";
import { driverFor } from "../../src/linux/cgroups/driver";
import type { CgroupDir } from "../../src/linux/cgroups/hierarchy";
import { emptyStats, encodeJSON, eventData, parsePSI, statsEvent } from "../../src/linux/cgroups/stats";
import { parseBlkioStat, stats as blkioStats } from "../../src/linux/cgroups/v1/blkio";
import { cleanupFakes, fakeDir, tmpRoot, V1, V2 } from "./cgroups-fakefs";

afterEach(cleanupFakes);

// Read on this host (Debian 12, Linux 6.18, hybrid): the memory cgroup of a running process, the
// cpu/cpuacct/blkio roots; pids and hugetlb as a container would show them.
const MEMORY_STAT = `cache 12689408
rss 2301952
rss_huge 0
shmem 0
mapped_file 57344
dirty 339968
writeback 0
workingset_refault_anon 0
workingset_refault_file 4455
swap 0
swapcached 0
pgpgin 357526
pgpgout 353879
pgfault 452797
pgmajfault 84
inactive_anon 2146304
active_anon 12288
inactive_file 1654784
active_file 11034624
unevictable 0
hierarchical_memory_limit 9223372036854771712
hierarchical_memsw_limit 9223372036854771712
total_cache 12689408
total_rss 2301952
total_rss_huge 0
total_shmem 0
total_mapped_file 57344
total_dirty 339968
total_writeback 0
total_workingset_refault_anon 0
total_workingset_refault_file 4455
total_swap 0
total_swapcached 0
total_pgpgin 357526
total_pgpgout 353879
total_pgfault 452797
total_pgmajfault 84
total_inactive_anon 2146304
total_active_anon 12288
total_inactive_file 1654784
total_active_file 11034624
total_unevictable 0
`;
const HOST_V1: Record<string, Record<string, string>> = {
  memory: {
    "memory.stat": MEMORY_STAT, "memory.usage_in_bytes": "16994304\n", "memory.max_usage_in_bytes": "249278464\n",
    "memory.limit_in_bytes": "9223372036854771712\n", "memory.failcnt": "0\n", "memory.memsw.usage_in_bytes": "17977344\n",
    "memory.memsw.max_usage_in_bytes": "249278464\n", "memory.memsw.failcnt": "0\n", "memory.kmem.usage_in_bytes": "2826240\n",
    "memory.kmem.max_usage_in_bytes": "7852032\n", "memory.kmem.failcnt": "0\n",
  },
  cpuacct: {
    "cpuacct.stat": "user 99543\nsystem 63836\n", "cpuacct.usage": "1633803048794\n", "cpuacct.usage_percpu": "771956165386 861850381411 \n",
    "cpuacct.usage_all": "cpu user system\n0 454213799929 284530678487\n1 502209167112 328813541624\n",
  },
  cpu: { "cpu.stat": "nr_periods 0\nnr_throttled 0\nthrottled_time 0\nnr_bursts 0\nburst_time 0\n" },
  blkio: {
    "blkio.throttle.io_serviced_recursive": "254:0 Read 65906\n254:0 Write 21733\n254:0 Sync 87740\n254:0 Async 21471\n254:0 Discard 21572\n254:0 Total 109211\nTotal 109211\n",
    "blkio.throttle.io_service_bytes_recursive": "254:0 Read 1019342848\n254:0 Write 2500395008\n254:0 Sync 3776024576\n254:0 Async 2499555328\n254:0 Discard 2755842048\n254:0 Total 6275579904\nTotal 6275579904\n",
  },
  pids: { "pids.current": "3\n", "pids.max": "100\n" },
  hugetlb: { "hugetlb.2MB.usage_in_bytes": "4194304\n", "hugetlb.2MB.max_usage_in_bytes": "6291456\n", "hugetlb.2MB.failcnt": "1\n" },
};

function hostV1() {
  const root = tmpRoot();
  const dirs: CgroupDir[] = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "hugetlb"].map((c) => ({
    key: c, dir: fakeDir({ ...V1[c], ...HOST_V1[c] }, path.join(root, c, "c1")), version: 1 as const,
  }));
  dirs.push({ key: "", dir: fakeDir({ "cgroup.procs": "" }, path.join(root, "unified", "c1")), version: 2 });
  return driverFor(dirs);
}

describe("v1 stats from this host's files", () => {
  test("cpu: cpuacct totals, ticks to ns (USER_HZ 100), per-cpu modes; throttling from cpu.stat", () => {
    const s = hostV1().stats();
    expect(s.cpu.usage).toEqual({
      total: 1633803048794, percpu: [771956165386, 861850381411], percpu_kernel: [284530678487, 328813541624],
      percpu_user: [454213799929, 502209167112], kernel: 638360000000, user: 995430000000,
    });
    expect(s.cpu.throttling).toEqual({ periods: 0, throttledPeriods: 0, throttledTime: 0 });
  });

  test("memory: usage, memsw, kmem, kmem.tcp entries, raw memory.stat, cache; unlimited stays exact", () => {
    const s = hostV1().stats();
    expect(s.memory.usage).toEqual({ limit: 9223372036854771712n, usage: 16994304, max: 249278464, failcnt: 0 });
    expect(s.memory.swap).toEqual({ limit: 9223372036854771712n, usage: 17977344, max: 249278464, failcnt: 0 });
    expect(s.memory.kernel).toEqual({ limit: 9223372036854771712n, usage: 2826240, max: 7852032, failcnt: 0 });
    expect(s.memory.kernelTCP).toEqual({ limit: 9223372036854771712n, usage: 0, max: 0, failcnt: 0 });
    expect(s.memory.cache).toBe(12689408);
    expect(Object.keys(s.memory.raw).length).toBe(42);
    expect(s.memory.raw.hierarchical_memory_limit).toBe(9223372036854771712n);
    expect(s.memory.raw.total_active_file).toBe(11034624);
  });

  test("blkio: BFQ files hold only 'Total 0', so the throttle tables are used (runc's fallback order)", () => {
    const s = hostV1().stats();
    expect(s.blkio.ioServicedRecursive.map((e) => `${e.major}:${e.minor} ${e.op} ${e.value}`)).toEqual([
      "254:0 Read 65906", "254:0 Write 21733", "254:0 Sync 87740", "254:0 Async 21471", "254:0 Discard 21572", "254:0 Total 109211",
    ]);
    expect(s.blkio.ioServiceBytesRecursive[1]).toEqual({ major: 254, minor: 0, op: "Write", value: 2500395008 });
    expect(s.blkio.sectorsRecursive).toEqual([]);
  });

  test("pids, cpuset, hugetlb", () => {
    const s = hostV1().stats();
    expect(s.pids).toEqual({ current: 3, limit: 100 });
    expect(s.cpuset).toEqual({
      cpus: [0, 1], cpu_exclusive: 0, mems: [0], mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0,
      memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 1, sched_relax_domain_level: -1,
    });
    expect(s.hugetlb).toEqual({ "1GB": { usage: 0, max: 0, failcnt: 0 }, "2MB": { usage: 4194304, max: 6291456, failcnt: 1 } });
  });

  test("the events --stats line", () => {
    const line = statsEvent("c1", hostV1().stats());
    expect(line.startsWith('{"type":"stats","id":"c1","data":{"cpu":{"usage":{"total":1633803048794,"percpu":[771956165386,861850381411],' +
      '"percpu_kernel":[284530678487,328813541624],"percpu_user":[454213799929,502209167112],"kernel":638360000000,"user":995430000000},"throttling":{}},' +
      '"cpuset":{"cpus":[0,1],"cpu_exclusive":0,"mems":[0],"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,"memory_spread_page":0,' +
      '"memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":1,"sched_relax_domain_level":-1},' +
      '"memory":{"cache":12689408,"usage":{"limit":9223372036854771712,"usage":16994304,"max":249278464,"failcnt":0},' +
      '"swap":{"limit":9223372036854771712,"usage":17977344,"max":249278464,"failcnt":0},' +
      '"kernel":{"limit":9223372036854771712,"usage":2826240,"max":7852032,"failcnt":0},' +
      '"kernelTCP":{"limit":9223372036854771712,"failcnt":0},"raw":{"active_anon":12288,"active_file":11034624,')).toBe(true);
    expect(line).toContain('"pids":{"current":3,"limit":100},"blkio":{"ioServiceBytesRecursive":[{"major":254,"op":"Read","value":1019342848},');
    expect(line.endsWith('"hugetlb":{"1GB":{"failcnt":0},"2MB":{"usage":4194304,"max":6291456,"failcnt":1}},"intel_rdt":{},"network_interfaces":null}}')).toBe(true);
    expect(() => JSON.parse(line)).not.toThrow();
  });
});

describe("v2 stats", () => {
  const files = {
    ...V2,
    "cpu.stat": "usage_usec 2512345\nuser_usec 1800000\nsystem_usec 712345\ncore_sched.force_idle_usec 0\nnr_periods 40\nnr_throttled 3\nthrottled_usec 15000\nnr_bursts 0\nburst_usec 0\n",
    "cpu.pressure": "some avg10=1.50 avg60=0.25 avg300=0.00 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=789\n",
    "memory.current": "8388608\n", "memory.max": "max\n", "memory.peak": "12582912\n", "memory.swap.current": "1048576\n", "memory.swap.max": "67108864\n",
    "memory.events": "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n",
    "memory.stat": "anon 4194304\nfile 3145728\nkernel 1048576\nkernel_stack 32768\npagetables 65536\nsock 0\nshmem 0\nfile_mapped 1048576\nfile_dirty 0\n",
    "pids.current": "2\n", "pids.max": "max\n",
    "io.stat": "8:0 rbytes=1048576 wbytes=2097152 rios=16 wios=32 dbytes=0 dios=0\n253:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n",
    "hugetlb.2MB.current": "2097152\n", "hugetlb.2MB.events": "max 2\n",
  };

  test("cpu in ns, memory with v1's memory+swap meaning, pids, io tables, hugetlb, PSI", () => {
    const dir = fakeDir(files);
    const s = driverFor([{ key: "", dir, version: 2 }]).stats();
    expect(s.cpu.usage).toEqual({ total: 2512345000, percpu: [], percpu_kernel: [], percpu_user: [], kernel: 712345000, user: 1800000000 });
    expect(s.cpu.throttling).toEqual({ periods: 40, throttledPeriods: 3, throttledTime: 15000000 });
    expect(s.cpu.psi).toEqual({ some: { avg10: 1.5, avg60: 0.25, avg300: 0, total: 123456 }, full: { avg10: 0, avg60: 0, avg300: 0, total: 789 } });
    expect(s.memory.usage).toEqual({ limit: 18446744073709551615n, usage: 8388608, max: 12582912, failcnt: 4 });
    expect(s.memory.swap).toEqual({ limit: 18446744073709551615n, usage: 9437184, max: 0, failcnt: 0 });
    expect(s.memory.cache).toBe(3145728);
    expect(s.memory.raw.anon).toBe(4194304);
    expect(s.pids).toEqual({ current: 2, limit: 0 });
    expect(s.blkio.ioServiceBytesRecursive).toEqual([
      { major: 8, minor: 0, op: "Read", value: 1048576 }, { major: 8, minor: 0, op: "Write", value: 2097152 },
      { major: 253, minor: 0, op: "Read", value: 4096 }, { major: 253, minor: 0, op: "Write", value: 0 },
    ]);
    expect(s.blkio.ioServicedRecursive.map((e) => e.value)).toEqual([16, 32, 1, 0]);
    expect(s.hugetlb).toEqual({ "2MB": { usage: 2097152, max: 0, failcnt: 2 } });
    expect(s.cpuset.cpus).toEqual([0, 1]);
  });

  test("a limited memory.max adds up with swap.max", () => {
    const dir = fakeDir({ ...files, "memory.max": "268435456\n" });
    const s = driverFor([{ key: "", dir, version: 2 }]).stats();
    expect(s.memory.swap.limit).toBe(268435456 + 67108864);
  });

  test("a missing directory (container gone) gives zero stats", () => {
    expect(driverFor([{ key: "", dir: "/nonexistent/c1", version: 2 }]).stats()).toEqual(emptyStats());
  });
});

describe("encoding", () => {
  test("zero stats: Go's omitempty keeps kernel/user, limit/failcnt and the cpuset flags", () => {
    expect(encodeJSON(eventData(emptyStats()))).toBe(
      '{"cpu":{"usage":{"kernel":0,"user":0},"throttling":{}},' +
      '"cpuset":{"cpu_exclusive":0,"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,"memory_spread_page":0,"memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":0,"sched_relax_domain_level":0},' +
      '"memory":{"usage":{"limit":0,"failcnt":0},"swap":{"limit":0,"failcnt":0},"kernel":{"limit":0,"failcnt":0},"kernelTCP":{"limit":0,"failcnt":0}},' +
      '"pids":{},"blkio":{},"hugetlb":{},"intel_rdt":{},"network_interfaces":null}');
  });

  test("bigints and large numbers are written exactly, strings escaped", () => {
    expect(encodeJSON({ a: 18446744073709551615n, b: 1e21, c: 0.5, d: 'x"y', e: undefined, f: [1n, null] })).toBe('{"a":18446744073709551615,"b":1000000000000000000000,"c":0.5,"d":"x\\"y","f":[1,null]}');
  });

  test("PSI lines", () => {
    expect(parsePSI("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")).toEqual({ some: { avg10: 0, avg60: 0, avg300: 0, total: 0 }, full: { avg10: 0, avg60: 0, avg300: 0, total: 0 } });
  });
});

describe("v1 blkio stat files (runc's fs/blkio_test.go shapes)", () => {
  test("device lines with and without an op; the Total line skipped", () => {
    expect(parseBlkioStat("8:0 Read 100\n8:0 Write 200\nTotal 300\n")).toEqual([
      { major: 8, minor: 0, op: "Read", value: 100 }, { major: 8, minor: 0, op: "Write", value: 200 },
    ]);
    expect(parseBlkioStat("8:0 1024\n")).toEqual([{ major: 8, minor: 0, op: "", value: 1024 }]);
  });

  test("BFQ debug files win over CFQ; CFQ over throttling", () => {
    const bfq = fakeDir({
      "blkio.bfq.sectors_recursive": "8:0 2048", "blkio.bfq.io_serviced_recursive": "8:0 Read 11\nTotal 11",
      "blkio.bfq.io_service_bytes_recursive": "8:0 Read 1100\nTotal 1100", "blkio.sectors_recursive": "8:0 1024",
      "blkio.throttle.io_serviced_recursive": "8:0 Read 1641",
    });
    const s = emptyStats();
    blkioStats(bfq, s);
    expect(s.blkio.sectorsRecursive).toEqual([{ major: 8, minor: 0, op: "", value: 2048 }]);
    expect(s.blkio.ioServicedRecursive).toEqual([{ major: 8, minor: 0, op: "Read", value: 11 }]);
    const cfq = fakeDir({ "blkio.sectors_recursive": "8:0 1024", "blkio.io_serviced_recursive": "8:0 Read 10", "blkio.io_service_bytes_recursive": "8:0 Read 100" });
    const t = emptyStats();
    blkioStats(cfq, t);
    expect(t.blkio.sectorsRecursive[0].value).toBe(1024);
    expect(t.blkio.ioServiceBytesRecursive[0].value).toBe(100);
  });
});
