// Semantic checks, container ids, the default spec, and the fixture corpus run through loadSpec.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { ConfigError } from "../../src/errors";
import { defaultSpec } from "../../src/spec/default";
import { loadSpec } from "../../src/spec/load";
import type { NamespaceType, Spec } from "../../src/spec/types";
import { checks, validateId, validateSpec, type HostFacts } from "../../src/spec/validate";

const FIXTURES = join(import.meta.dir, "..", "fixtures", "configs");
const ALL_NS: NamespaceType[] = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"];
const HOST: HostFacts = {
  namespaces: new Set(ALL_NS),
  rootless: false,
  cgroupV2: true,
  selinux: true,
  isHostNetns: (p) => p === "/proc/1/ns/net",
};

const tmp = mkdtempSync(join(tmpdir(), "tsrunc-spec-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let bundles = 0;

/** loadSpec on a bundle holding `text` as config.json: its result, or the ConfigError's problems. */
function load(text: string, host = HOST): { problems?: string[]; warnings?: string[]; error?: ConfigError } {
  const dir = join(tmp, `b${bundles++}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  writeFileSync(join(dir, "config.json"), text);
  try {
    return { warnings: loadSpec(dir, host).warnings };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { problems: e.problems, error: e };
  }
}

const fixture = (dir: string, f: string) => readFileSync(join(FIXTURES, dir, f), "utf8");
const runcSpec = (): Spec => JSON.parse(fixture("valid", "runc-spec.json"));
const errorsOf = (spec: Spec, host = HOST) => validateSpec(spec, host).errors;
const withoutNs = (spec: Spec, ...types: NamespaceType[]) => {
  spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => !types.includes(n.type));
  return spec;
};

describe("valid corpus loads without errors", () => {
  for (const f of readdirSync(join(FIXTURES, "valid")).filter((f) => f.endsWith(".json"))) {
    test(f, () => {
      const r = load(fixture("valid", f));
      expect(r.problems).toBeUndefined();
      expect(r.warnings).toEqual([]);
    });
  }
});

// Each invalid fixture and the problems (by leading "pointer: message" text) it must produce.
const INVALID: Record<string, string[]> = {
  "malformed-json.json": ["invalid JSON at line 5, column 2: expected a property name in double quotes"],
  "not-an-object.json": ["/: must be an object"],
  "args-empty.json": ["/process/args: must have at least 1 item"],
  "uid-string.json": ["/process/user/uid: must be an integer"],
  "cwd-missing.json": ["/process/cwd: is required"],
  "cwd-relative.json": ['/process/cwd: must be an absolute path, not "work"'],
  "root-missing.json": ["/root: is required"],
  "rlimit-name.json": ["/process/rlimits/0/type: must be an rlimit name"],
  "wrong-types.json": [
    "/root/readonly: must be a boolean",
    "/process/terminal: must be a boolean",
    "/process/env: must be an array",
    "/mounts/0/options: must be an array",
    "/linux/resources/pids/limit: must be an integer",
  ],
  "namespace-type-unknown.json": ["/linux/namespaces/2/type: must be one of pid, network, mount, ipc, uts, user, cgroup, time"],
  "namespace-duplicate.json": ["/linux/namespaces/5: duplicate pid namespace (first at /linux/namespaces/0)"],
  "mappings-without-userns.json": [
    '/linux/uidMappings: needs a user namespace: add {"type": "user"} to /linux/namespaces',
    "/linux/gidMappings: needs a user namespace",
  ],
  "crun-spec-rootless.json": [
    "/linux/uidMappings: a new user namespace needs at least one uid mapping",
    "/linux/gidMappings: a new user namespace needs at least one gid mapping",
  ],
  "oci-version-unsupported.json": ["/ociVersion: version 2.0.0 is not supported: tsrunc supports 1.0.0 to 1.3.x"],
  "oci-version-not-semver.json": ['/ociVersion: "1.0" is not a semantic version'],
  "sysctl-needs-netns.json": ["/linux/sysctl/net.ipv4.ip_forward: needs a new network namespace"],
  "sysctl-needs-ipcns.json": ["/linux/sysctl/kernel.shmmax: needs an IPC namespace"],
  "sysctl-not-namespaced.json": ["/linux/sysctl/vm.swappiness: is not namespaced"],
  "sysctl-kernel-hostname.json": ["/linux/sysctl/kernel.hostname: conflicts with the hostname field"],
  "hostname-without-uts.json": ["/hostname: needs a UTS namespace"],
  "masked-paths-without-mountns.json": ["/linux/maskedPaths: needs a mount namespace", "/linux/readonlyPaths: needs a mount namespace"],
  "time-offsets-without-timens.json": ["/linux/timeOffsets: needs a new time namespace"],
  "bind-mount-fs-data.json": ['/mounts/7/options/1: a bind mount cannot apply the filesystem option "mode=755"'],
  "idmapped-mount-not-bind.json": ["/mounts/7: id-mapped mounts must be bind mounts"],
  "seccomp-action-unknown.json": ["/linux/seccomp/defaultAction: must be one of SCMP_ACT_KILL,"],
  "scheduler-priority-not-rt.json": ["/process/scheduler/priority: only applies to the SCHED_FIFO and SCHED_RR policies"],
  "device-missing-major.json": ["/linux/devices/0/major: is required"],
  "hook-relative-path.json": ['/hooks/prestart/0/path: must be an absolute path, not "bin/setup"'],
  "intelrdt-closid-escapes.json": ['/linux/intelRdt/closID: "../x" is not a valid directory name'],
};

describe("invalid corpus fails with the expected pointer", () => {
  const files = readdirSync(join(FIXTURES, "invalid")).filter((f) => f.endsWith(".json"));
  test("every invalid fixture has an expectation, and the reverse", () => {
    expect(files.sort()).toEqual(Object.keys(INVALID).sort());
  });
  for (const f of files) {
    test(f, () => {
      const r = load(fixture("invalid", f));
      const wanted = INVALID[f] ?? [];
      expect(r.problems).toBeDefined();
      // Each expected problem is reported, and nothing else: no noise around the real finding.
      for (const want of wanted) expect(r.problems!.filter((p) => p.startsWith(want))).toHaveLength(1);
      for (const p of r.problems!) expect(wanted.filter((w) => p.startsWith(w))).toHaveLength(1);
      // The message clients show names config.json, then the pointer.
      expect(r.error!.message.startsWith("config.json: ")).toBe(true);
    });
  }
});

describe("loadSpec", () => {
  test("collects version, schema and semantic problems into one error", () => {
    const c = runcSpec() as any;
    c.ociVersion = "9.9.9";
    c.process.args = [];
    c.hostname = "box";
    withoutNs(c, "uts");
    const r = load(JSON.stringify(c));
    expect(r.problems).toEqual([
      "/ociVersion: version 9.9.9 is not supported: tsrunc supports 1.0.0 to 1.3.x",
      "/process/args: must have at least 1 item",
      '/hostname: needs a UTS namespace, or it would rename the host: add {"type": "uts"} to /linux/namespaces',
    ]);
    expect(r.error!.message).toStartWith("config.json: 3 problems:\n  /ociVersion: ");
  });
  test("semantic checks that trip over bad types are skipped, not crashed", () => {
    const c = runcSpec() as any;
    c.process.cwd = 5;
    c.linux.namespaces = [{ type: 7 }];
    c.mounts = [{ destination: 1, options: "x" }];
    const r = load(JSON.stringify(c));
    expect(r.problems).toContain("/process/cwd: must be a string");
    expect(r.problems).toContain("/mounts/0/destination: must be a string");
  });
  test("missing config.json", () => {
    const dir = join(tmp, "empty");
    mkdirSync(dir);
    expect(() => loadSpec(dir, HOST)).toThrow(`config.json: cannot read ${dir}/config.json: ENOENT`);
  });
  test("warnings are returned, not thrown", () => {
    const c = runcSpec();
    c.mounts!.push({ destination: "data", type: "tmpfs", source: "tmpfs" });
    expect(load(JSON.stringify(c)).warnings).toEqual([
      '/mounts/7/destination: relative path "data" is deprecated; it is taken relative to /',
    ]);
  });
});

describe("namespaces", () => {
  test("a namespace type the kernel lacks, joined or new", () => {
    const c = runcSpec();
    c.linux!.namespaces!.push({ type: "time" }, { type: "cgroup", path: "/proc/1/ns/cgroup" });
    const host = { ...HOST, namespaces: new Set<NamespaceType>(["pid", "network", "mount", "ipc", "uts", "user"]) };
    expect(errorsOf(c, host)).toEqual([
      "/linux/namespaces/5/type: this kernel does not support time namespaces",
      "/linux/namespaces/6/type: this kernel does not support cgroup namespaces",
    ]);
  });
  test("a namespace path must be absolute", () => {
    const c = runcSpec();
    c.linux!.namespaces![1] = { type: "network", path: "run/netns/x" };
    expect(errorsOf(c)).toEqual(['/linux/namespaces/1/path: must be an absolute path, not "run/netns/x"']);
  });
  test("user namespace: mappings required when new, ignored with a warning when joined", () => {
    const c = runcSpec();
    c.linux!.namespaces!.push({ type: "user" });
    c.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 0 }];
    expect(errorsOf(c)).toEqual([
      "/linux/uidMappings/0/size: must be at least 1",
      "/linux/gidMappings: a new user namespace needs at least one gid mapping",
    ]);
    c.linux!.namespaces![5] = { type: "user", path: "/proc/42/ns/user" };
    expect(validateSpec(c, HOST)).toEqual({
      errors: [],
      warnings: ["/linux/uidMappings: ignored: the user namespace joined at /proc/42/ns/user keeps its own mappings"],
    });
  });
  test("rootless needs a user namespace and mapped uid=/gid= options", () => {
    const rootless = { ...HOST, rootless: true };
    expect(errorsOf(runcSpec(), rootless)).toContain(
      '/linux/namespaces: a rootless container needs a user namespace: add {"type": "user"} to /linux/namespaces',
    );
    const c = defaultSpec({ rootless: true, uid: 1000, gid: 1000 });
    expect(errorsOf(c, rootless)).toEqual([]);
    c.mounts![2]!.options!.push("gid=5");
    expect(errorsOf(c, rootless)).toEqual(["/mounts/2/options/5: gid=5 is not mapped in the container's user namespace"]);
  });
  test("time offsets need a new time namespace and a known clock", () => {
    const c = runcSpec();
    c.linux!.timeOffsets = { monotonic: { secs: 1 } };
    c.linux!.namespaces!.push({ type: "time", path: "/proc/9/ns/time" });
    expect(errorsOf(c)).toEqual([expect.stringMatching(/^\/linux\/timeOffsets: needs a new time namespace/)]);
    c.linux!.namespaces![5] = { type: "time" };
    c.linux!.timeOffsets = { monotonic: { secs: 1 }, realtime: { secs: 5 } };
    expect(errorsOf(c)).toEqual(["/linux/timeOffsets/realtime: only the monotonic and boottime clocks can be offset"]);
  });
});

describe("sysctl", () => {
  const sysctls = (spec: Spec, s: Record<string, string>) => ((spec.linux!.sysctl = s), checks.sysctl!(spec, HOST));
  test("net.* in a new or a joined (non-host) network namespace", () => {
    expect(sysctls(runcSpec(), { "net.ipv4.ip_forward": "1", "net/core/somaxconn": "256" })).toEqual([]);
    const joined = runcSpec();
    joined.linux!.namespaces![1] = { type: "network", path: "/run/netns/podman" };
    expect(sysctls(joined, { "net.ipv4.ping_group_range": "0 0" })).toEqual([]);
  });
  test("net.* in the host network namespace", () => {
    const c = runcSpec();
    c.linux!.namespaces![1] = { type: "network", path: "/proc/1/ns/net" };
    expect(sysctls(c, { "net/ipv4/ip_forward": "1" })).toEqual([
      {
        pointer: "/linux/sysctl/net~1ipv4~1ip_forward",
        message: 'needs a new network namespace, not the host\'s: add {"type": "network"} to /linux/namespaces',
      },
    ]);
  });
  test("ipc, uts and everything else", () => {
    const c = withoutNs(runcSpec(), "ipc", "uts");
    const found = sysctls(c, {
      "kernel.msgmax": "8192",
      "fs.mqueue.queues_max": "256",
      "kernel.domainname": "x",
      "kernel.hostname": "y",
      "kernel.pid_max": "4096",
    }).map((p) => `${p.pointer}: ${p.message.split(":")[0]}`);
    expect(found).toEqual([
      "/linux/sysctl/kernel.msgmax: needs an IPC namespace",
      "/linux/sysctl/fs.mqueue.queues_max: needs an IPC namespace",
      "/linux/sysctl/kernel.domainname: needs a UTS namespace",
      "/linux/sysctl/kernel.hostname: conflicts with the hostname field",
      "/linux/sysctl/kernel.pid_max: is not namespaced",
    ]);
  });
});

describe("other checks", () => {
  test("domainname needs uts", () => {
    const c = withoutNs(runcSpec(), "uts");
    delete c.hostname;
    c.domainname = "example.test";
    expect(errorsOf(c)).toEqual([expect.stringMatching(/^\/domainname: needs a UTS namespace/)]);
  });
  test("id-mapped mounts need both maps", () => {
    const c = runcSpec();
    c.mounts!.push({ destination: "/d", source: "/srv/d", options: ["rbind"], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] });
    expect(errorsOf(c)).toEqual(["/mounts/7/gidMappings: is required when uidMappings is given"]);
  });
  test("scheduler and ioPriority ranges", () => {
    const c = runcSpec();
    c.process!.scheduler = { policy: "SCHED_OTHER", nice: 20, runtime: 5 };
    c.process!.ioPriority = { class: "IOPRIO_CLASS_BE", priority: 8 };
    expect(errorsOf(c)).toEqual([
      "/process/scheduler/nice: must be between -20 and 19",
      "/process/scheduler/runtime: only applies to the SCHED_DEADLINE policy",
      "/process/ioPriority/priority: must be between 0 and 7",
    ]);
  });
  test("cgroup v2 rules", () => {
    const c = runcSpec();
    c.linux!.resources!.unified = { "memory.high": "1000000" };
    c.linux!.resources!.memory = { limit: 1000, swap: 500 };
    c.linux!.resources!.cpu = { quota: 1000, burst: 2000 };
    expect(errorsOf(c)).toEqual([
      "/linux/resources/memory/swap: must be at least the memory limit (it counts memory + swap)",
      "/linux/resources/cpu/burst: must not be larger than the cpu quota",
    ]);
    expect(errorsOf(c, { ...HOST, cgroupV2: false })).toEqual([
      "/linux/resources/unified: needs cgroup v2 (unified hierarchy), which this host does not use",
      "/linux/resources/cpu/burst: must not be larger than the cpu quota",
    ]);
  });
  test("net devices need a private network namespace and valid names", () => {
    const c = withoutNs(runcSpec(), "network");
    c.linux!.netDevices = { eth1: { name: "a/b" }, "way-too-long-name0": {} };
    expect(errorsOf(c)).toEqual([
      '/linux/netDevices: moving devices needs a network namespace other than the host\'s: add {"type": "network"} to /linux/namespaces',
      '/linux/netDevices/eth1/name: "a/b" is not a valid interface name',
      '/linux/netDevices/way-too-long-name0: "way-too-long-name0" is not a valid interface name',
    ]);
  });
  test("memory policy rules of set_mempolicy(2)", () => {
    const c = runcSpec();
    c.linux!.memoryPolicy = { mode: "MPOL_INTERLEAVE", flags: ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES", "MPOL_F_NUMA_BALANCING"] };
    expect(errorsOf(c)).toEqual([
      "/linux/memoryPolicy/flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other",
      "/linux/memoryPolicy/flags: MPOL_F_NUMA_BALANCING only applies to MPOL_BIND",
      "/linux/memoryPolicy/nodes: is required for MPOL_INTERLEAVE",
    ]);
    c.linux!.memoryPolicy = { mode: "MPOL_LOCAL", nodes: "0" };
    expect(errorsOf(c)).toEqual(["/linux/memoryPolicy/nodes: must be empty for MPOL_LOCAL"]);
  });
  test("an SELinux label on a host without SELinux", () => {
    const c = runcSpec();
    c.process!.selinuxLabel = "system_u:system_r:container_t:s0";
    expect(errorsOf(c)).toEqual([]);
    expect(errorsOf(c, { ...HOST, selinux: false })).toEqual([
      "/process/selinuxLabel: SELinux is disabled or not supported on this host: remove the label",
    ]);
  });
  test("no process, no root", () => {
    const c = runcSpec();
    delete c.process;
    delete c.root;
    expect(errorsOf(c)).toEqual([
      "/root: is required: set root.path to the container's root filesystem",
      "/process: is required: tsrunc needs a process to start",
    ]);
  });
});

describe("validateId", () => {
  test.each(["a", "abc-123", "my_container.v2+x", "A".repeat(1024), "3f2a9c1b7d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef"])(
    "%s is valid",
    (id) => expect(validateId(id)).toBeNull(),
  );
  test.each([
    ["", "container id must not be empty"],
    [".", 'container id "." is not allowed'],
    ["..", 'container id ".." is not allowed'],
    ["../x", 'container id "../x" may only contain letters, digits and the characters _ + . -'],
    ["a/b", 'container id "a/b" may only contain letters, digits and the characters _ + . -'],
    ["/etc", 'container id "/etc" may only contain letters, digits and the characters _ + . -'],
    ["a b", 'container id "a b" may only contain letters, digits and the characters _ + . -'],
    ["a\nb", 'container id "a\\nb" may only contain letters, digits and the characters _ + . -'],
    ["a\0b", 'container id "a\\u0000b" may only contain letters, digits and the characters _ + . -'],
    ["é", 'container id "é" may only contain letters, digits and the characters _ + . -'],
    ["A".repeat(1025), "container id is 1025 characters long: at most 1024 are allowed"],
  ])("%p is refused", (id, message) => expect(validateId(id)).toBe(message));
});

describe("defaultSpec", () => {
  test("both variants pass every check", () => {
    expect(validateSpec(defaultSpec({ rootless: false }), HOST)).toEqual({ errors: [], warnings: [] });
    expect(validateSpec(defaultSpec({ rootless: true, uid: 1000, gid: 1000 }), { ...HOST, rootless: true })).toEqual({
      errors: [],
      warnings: [],
    });
  });
  test("rootless maps this process's euid and egid by default", () => {
    const s = defaultSpec({ rootless: true });
    expect(s.linux!.uidMappings).toEqual([{ containerID: 0, hostID: process.geteuid!(), size: 1 }]);
    expect(s.linux!.gidMappings).toEqual([{ containerID: 0, hostID: process.getegid!(), size: 1 }]);
  });
  // The same document as `runc spec`, byte for byte, but for the version: clients diff them.
  for (const rootless of [false, true]) {
    test.skipIf(!existsSync("/usr/sbin/runc"))(`matches runc spec${rootless ? " --rootless" : ""}`, () => {
      const dir = mkdtempSync(join(tmp, "runc-spec-"));
      const r = spawnSync("/usr/sbin/runc", rootless ? ["spec", "--rootless"] : ["spec"], { cwd: dir });
      expect(r.status).toBe(0);
      const theirs = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
      theirs.ociVersion = "1.3.0";
      const mine = defaultSpec({ rootless });
      expect(JSON.stringify(mine, null, "\t")).toBe(JSON.stringify(theirs, null, "\t"));
    });
  }
});
