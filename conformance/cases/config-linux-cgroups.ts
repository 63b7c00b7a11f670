// config-linux.md: control groups. cgroupsPath placement and every linux.resources field this host
// can show. On this v1 (hybrid) host the check is the controller's file in the container's
// cgroup, e.g. memory.limit_in_bytes; each resource group runs in its own container, so a runtime
// that lacks one setting fails only that setting's requirements.
import * as fs from "node:fs";
import * as path from "node:path";
import { defineCase, Ctx } from "../lib/case";
import { cgroupFile, cgroupOf, cgroupMounts, needV1, HostFacts } from "../lib/host";
import { setNamespace } from "../lib/bundle";

let n = 0;
/** an absolute cgroupsPath, one level deep so delete removes all of it */
const cgPath = (tag: string) => `/tsrunc-conf-${tag}-${process.pid}-${n++}`;

type Check = [reqId: string, controller: string, file: string, expected: string | ((v: string) => boolean)];

/** a container with these resources, then each check reads one cgroup file */
function resourceCase(name: string, reqs: Record<string, [string, string]>, skip: (h: HostFacts) => string | undefined,
  resources: (h: HostFacts) => Record<string, unknown>, checks: (h: HostFacts) => Check[]): void {
  defineCase({
    name, spec: "config-linux.md", reqs, skip,
    async run(t: Ctx) {
      const ct = await t.started((c) => { c.linux.cgroupsPath = cgPath(name); Object.assign(c.linux.resources, resources(t.host)); });
      for (const [id, ctrl, file, want] of checks(t.host)) {
        await t.verify(id, () => {
          const v = cgroupFile(ct.pid, ctrl, file);
          const ok = typeof want === "string" ? v === want : want(v);
          t.check(id, ok, `${ctrl}/${file}: ${JSON.stringify(v.slice(0, 200))}${typeof want === "string" ? `, expected ${JSON.stringify(want)}` : ""}`);
        });
      }
    },
  });
}

const any = (...reasons: (string | undefined)[]) => reasons.find(Boolean);
const MiB = 1024 * 1024;
const sec = "linux-control-groups";

defineCase({
  name: "cgroups-path",
  spec: "config-linux.md",
  reqs: {
    "config-linux.cgroupsPath.absolute": ["cgroups-path", "an absolute cgroupsPath is taken relative to the cgroups mount point: the container is in that cgroup of every hierarchy"],
    "config-linux.namespaces.cgroup.root": ["namespaces", "in a new cgroup namespace the container sees its own cgroups as the root (/)"],
  },
  async run(t) {
    const p = cgPath("path");
    const ct = await t.started((c) => { c.linux.cgroupsPath = p; });
    const ctrls = Object.keys(cgroupMounts().v1).filter((k) => !k.startsWith("name="));
    const wrong = ctrls.filter((k) => cgroupOf(ct.pid, k) !== p || !fs.existsSync(path.join(cgroupMounts().v1[k], p)));
    t.check("config-linux.cgroupsPath.absolute", ctrls.length > 0 && wrong.length === 0, `not in ${p}: ${wrong.map((k) => `${k} (${cgroupOf(ct.pid, k)})`).join(", ")}`);
    await t.verify("config-linux.namespaces.cgroup.root", async () => {
      const out = await t.output((c) => { c.linux.cgroupsPath = cgPath("cgns"); setNamespace(c, "cgroup"); c.process.args = ["cat", "/proc/self/cgroup"]; });
      const lines = out.trim().split("\n").filter((l) => ctrls.some((k) => l.split(":")[1]?.split(",").includes(k)));
      t.check("config-linux.namespaces.cgroup.root", lines.length > 0 && lines.every((l) => l.endsWith(":/")), `/proc/self/cgroup inside: ${out.trim().replace(/\n/g, " ")}`);
    });
  },
});

defineCase({
  name: "cgroups-systemd",
  spec: "config-linux.md",
  reqs: { "config-linux.cgroupsPath.systemd": ["cgroups-path", "with --systemd-cgroup, a slice:prefix:name cgroupsPath places the container in the systemd scope prefix-name.scope"] },
  skip: (h) => (h.systemd ? undefined : "systemd is not running on this host (no /run/systemd/system)"),
  async run(t) {
    const id = t.newId("sd");
    const r = await t.rt.exec(["--systemd-cgroup", "create", "--bundle", t.bundle((c) => { c.linux.cgroupsPath = `system.slice:tsrunc-conf:${id}`; }), id]);
    const s = (await t.rt.state(id)).state;
    t.notePid(s?.pid ?? 0);
    t.check("config-linux.cgroupsPath.systemd", r.code === 0 && !!s && (cgroupOf(s.pid, "name=systemd") ?? "").endsWith(`tsrunc-conf-${id}.scope`), `create exited ${r.code}`);
  },
});

resourceCase("cgroups-memory", {
  "config-linux.resources.memory.limit": [sec, "memory.limit sets the memory limit (memory.limit_in_bytes)"],
  "config-linux.resources.memory.reservation": [sec, "memory.reservation sets the soft limit (memory.soft_limit_in_bytes)"],
  "config-linux.resources.memory.swap": [sec, "memory.swap sets the memory+swap limit (memory.memsw.limit_in_bytes)"],
  "config-linux.resources.memory.swappiness": [sec, "memory.swappiness sets memory.swappiness"],
}, (h) => any(needV1(h, "memory", "memory.memsw.limit_in_bytes"), needV1(h, "memory", "memory.swappiness")),
() => ({ memory: { limit: 64 * MiB, reservation: 32 * MiB, swap: 128 * MiB, swappiness: 10 } }),
() => [
  ["config-linux.resources.memory.limit", "memory", "memory.limit_in_bytes", String(64 * MiB)],
  ["config-linux.resources.memory.reservation", "memory", "memory.soft_limit_in_bytes", String(32 * MiB)],
  ["config-linux.resources.memory.swap", "memory", "memory.memsw.limit_in_bytes", String(128 * MiB)],
  ["config-linux.resources.memory.swappiness", "memory", "memory.swappiness", "10"],
]);

resourceCase("cgroups-memory-oom", {
  "config-linux.resources.memory.disableOOMKiller": [sec, "memory.disableOOMKiller disables the OOM killer (memory.oom_control oom_kill_disable 1)"],
}, (h) => needV1(h, "memory", "memory.oom_control"),
() => ({ memory: { limit: 64 * MiB, disableOOMKiller: true } }),
() => [["config-linux.resources.memory.disableOOMKiller", "memory", "memory.oom_control", (v) => /^oom_kill_disable 1$/m.test(v)]]);

resourceCase("cgroups-cpu", {
  "config-linux.resources.cpu.shares": [sec, "cpu.shares sets cpu.shares"],
  "config-linux.resources.cpu.quota": [sec, "cpu.quota sets cpu.cfs_quota_us"],
  "config-linux.resources.cpu.period": [sec, "cpu.period sets cpu.cfs_period_us"],
}, (h) => needV1(h, "cpu", "cpu.cfs_quota_us"),
() => ({ cpu: { shares: 512, quota: 50000, period: 200000 } }),
() => [
  ["config-linux.resources.cpu.shares", "cpu", "cpu.shares", "512"],
  ["config-linux.resources.cpu.quota", "cpu", "cpu.cfs_quota_us", "50000"],
  ["config-linux.resources.cpu.period", "cpu", "cpu.cfs_period_us", "200000"],
]);

resourceCase("cgroups-cpu-burst", {
  "config-linux.resources.cpu.burst": [sec, "cpu.burst sets cpu.cfs_burst_us"],
}, (h) => needV1(h, "cpu", "cpu.cfs_burst_us"),
() => ({ cpu: { quota: 50000, period: 100000, burst: 10000 } }),
() => [["config-linux.resources.cpu.burst", "cpu", "cpu.cfs_burst_us", "10000"]]);

resourceCase("cgroups-cpu-idle", {
  "config-linux.resources.cpu.idle": [sec, "cpu.idle sets cpu.idle"],
}, (h) => needV1(h, "cpu", "cpu.idle"),
() => ({ cpu: { idle: 1 } }),
() => [["config-linux.resources.cpu.idle", "cpu", "cpu.idle", "1"]]);

resourceCase("cgroups-cpu-rt", {
  "config-linux.resources.cpu.realtime": [sec, "cpu.realtimeRuntime and realtimePeriod set cpu.rt_runtime_us and cpu.rt_period_us"],
}, (h) => needV1(h, "cpu", "cpu.rt_runtime_us"),
() => ({ cpu: { realtimeRuntime: 10000, realtimePeriod: 500000 } }),
() => [["config-linux.resources.cpu.realtime", "cpu", "cpu.rt_runtime_us", "10000"]]);

resourceCase("cgroups-cpuset", {
  "config-linux.resources.cpu.cpus": [sec, "cpu.cpus sets cpuset.cpus"],
  "config-linux.resources.cpu.mems": [sec, "cpu.mems sets cpuset.mems"],
}, (h) => needV1(h, "cpuset", "cpuset.cpus"),
() => ({ cpu: { cpus: "0", mems: "0" } }),
() => [
  ["config-linux.resources.cpu.cpus", "cpuset", "cpuset.cpus", "0"],
  ["config-linux.resources.cpu.mems", "cpuset", "cpuset.mems", "0"],
]);

resourceCase("cgroups-pids", {
  "config-linux.resources.pids.limit": [sec, "pids.limit sets pids.max"],
}, (h) => needV1(h, "pids"), // pids.max exists only below the root cgroup
() => ({ pids: { limit: 77 } }),
() => [["config-linux.resources.pids.limit", "pids", "pids.max", "77"]]);

const throttleSkip = (h: HostFacts) => any(needV1(h, "blkio", "blkio.throttle.read_bps_device"), h.blockDevice ? undefined : "no block disk on this host to throttle");
const rule = (h: HostFacts, rate: number) => { const [major, minor] = h.blockDevice!.split(":").map(Number); return [{ major, minor, rate }]; };
resourceCase("cgroups-blkio-throttle", {
  "config-linux.resources.blockIO.throttleReadBpsDevice": [sec, "blockIO.throttleReadBpsDevice sets blkio.throttle.read_bps_device"],
  "config-linux.resources.blockIO.throttleWriteBpsDevice": [sec, "blockIO.throttleWriteBpsDevice sets blkio.throttle.write_bps_device"],
  "config-linux.resources.blockIO.throttleReadIOPSDevice": [sec, "blockIO.throttleReadIOPSDevice sets blkio.throttle.read_iops_device"],
  "config-linux.resources.blockIO.throttleWriteIOPSDevice": [sec, "blockIO.throttleWriteIOPSDevice sets blkio.throttle.write_iops_device"],
}, throttleSkip,
(h) => ({ blockIO: { throttleReadBpsDevice: rule(h, 1048576), throttleWriteBpsDevice: rule(h, 2097152), throttleReadIOPSDevice: rule(h, 1000), throttleWriteIOPSDevice: rule(h, 2000) } }),
(h) => [
  ["config-linux.resources.blockIO.throttleReadBpsDevice", "blkio", "blkio.throttle.read_bps_device", `${h.blockDevice} 1048576`],
  ["config-linux.resources.blockIO.throttleWriteBpsDevice", "blkio", "blkio.throttle.write_bps_device", `${h.blockDevice} 2097152`],
  ["config-linux.resources.blockIO.throttleReadIOPSDevice", "blkio", "blkio.throttle.read_iops_device", `${h.blockDevice} 1000`],
  ["config-linux.resources.blockIO.throttleWriteIOPSDevice", "blkio", "blkio.throttle.write_iops_device", `${h.blockDevice} 2000`],
]);

const weightSkip = (h: HostFacts) => (h.has("blkio", "blkio.weight") || h.has("blkio", "blkio.bfq.weight") ? undefined
  : needV1(h, "blkio") ?? "this kernel's blkio controller has no blkio.weight or blkio.bfq.weight (no proportional-weight I/O scheduler)");
resourceCase("cgroups-blkio-weight", {
  "config-linux.resources.blockIO.weight": [sec, "blockIO.weight sets the cgroup's I/O weight (blkio.weight)"],
  "config-linux.resources.blockIO.weightDevice": [sec, "blockIO.weightDevice sets per-device I/O weights (blkio.weight_device)"],
}, weightSkip,
(h) => ({ blockIO: { weight: 300, weightDevice: [{ ...rule(h, 0)[0], rate: undefined, weight: 400 }] } }),
(h) => {
  const f = h.has("blkio", "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
  return [
    ["config-linux.resources.blockIO.weight", "blkio", f, (v) => v.split("\n").some((l) => /(^|\s)300$/.test(l))],
    ["config-linux.resources.blockIO.weightDevice", "blkio", f === "blkio.weight" ? "blkio.weight_device" : "blkio.bfq.weight_device", (v) => v.includes(`${h.blockDevice} 400`)],
  ];
});

// controllers this host may lack (then skipped with the reason)
resourceCase("cgroups-hugetlb", { "config-linux.resources.hugepageLimits": [sec, "hugepageLimits set hugetlb.<size>.limit_in_bytes"] },
  (h) => needV1(h, "hugetlb") ?? (h.has("hugetlb", "hugetlb.2MB.limit_in_bytes") ? undefined : "no 2MB huge pages on this host"), () => ({ hugepageLimits: [{ pageSize: "2MB", limit: 4 * 2 * MiB }] }),
  () => [["config-linux.resources.hugepageLimits", "hugetlb", "hugetlb.2MB.limit_in_bytes", String(4 * 2 * MiB)]]);
resourceCase("cgroups-net_cls", { "config-linux.resources.network.classID": [sec, "network.classID sets net_cls.classid"] },
  (h) => needV1(h, "net_cls"), () => ({ network: { classID: 1048577 } }),
  () => [["config-linux.resources.network.classID", "net_cls", "net_cls.classid", "1048577"]]);
resourceCase("cgroups-net_prio", { "config-linux.resources.network.priorities": [sec, "network.priorities set net_prio.ifpriomap"] },
  (h) => needV1(h, "net_prio"), () => ({ network: { priorities: [{ name: "lo", priority: 5 }] } }),
  () => [["config-linux.resources.network.priorities", "net_prio", "net_prio.ifpriomap", (v) => /^lo 5$/m.test(v)]]);
resourceCase("cgroups-rdma", { "config-linux.resources.rdma": [sec, "rdma limits set rdma.max"] },
  (h) => needV1(h, "rdma") ?? (fs.existsSync("/sys/class/infiniband") && fs.readdirSync("/sys/class/infiniband").length ? undefined : "no RDMA device on this host"),
  () => ({ rdma: { [fs.readdirSync("/sys/class/infiniband")[0]]: { hcaHandles: 3, hcaObjects: 100 } } }),
  () => [["config-linux.resources.rdma", "rdma", "rdma.max", (v) => /hca_handle=3 hca_object=100/.test(v)]]);

defineCase({
  name: "cgroups-unified",
  spec: "config-linux.md",
  reqs: { "config-linux.resources.unified": ["unified", "unified entries are written to the cgroup v2 files they name"] },
  skip: (h) => (h.unifiedControllers.includes("pids") && !h.v1.pids ? undefined
    : "linux.resources.unified needs cgroup v2 controllers; this host's controllers are cgroup v1 (hybrid)"),
  async run(t) {
    const ct = await t.started((c) => { c.linux.cgroupsPath = cgPath("unified"); c.linux.resources.unified = { "pids.max": "10" }; });
    const v = fs.readFileSync(path.join(cgroupMounts().unified!, cgroupOf(ct.pid, "")!, "pids.max"), "utf8").trim();
    t.eq("config-linux.resources.unified", v, "10", "pids.max");
  },
});
