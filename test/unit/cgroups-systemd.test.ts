// The systemd cgroup driver's pure parts: "slice:prefix:name" naming, the unit's properties from
// linux.resources (runc's v1 and v2 mappings), device rules as DevicePolicy/DeviceAllow, and
// which bus it talks to.
import { describe, expect, test } from "bun:test";
import { DEFAULT_ALLOWED } from "../../src/linux/cgroups/devices";
import { MAX_U64 } from "../../src/linux/cgroups/fsio";
import { deviceAllowPath, deviceProperties, simulateDeviceRules } from "../../src/linux/cgroups/systemd/devices";
import { baseProperties, cpuMask, cpuQuotaProperties, resourceProperties, unifiedProperties, type Property } from "../../src/linux/cgroups/systemd/properties";
import { defaultBusAddress, parseSystemdVersion } from "../../src/linux/cgroups/systemd/scope";
import { expandSlice, parseSystemdPath, predictSystemdDirs, unitObjectPath } from "../../src/linux/cgroups/systemd/unit";

/** properties as name → [signature, value], for readable expectations */
const asMap = (props: Property[]) => Object.fromEntries(props.map(([n, v]) => [n, [v.signature, v.value]]));

describe("slice:prefix:name", () => {
  test("a scope named prefix-name in the given slice", () => {
    expect(parseSystemdPath("system.slice:tsrunc:abc", "abc")).toEqual({ unit: "tsrunc-abc.scope", slice: "system.slice", kind: "scope" });
    expect(parseSystemdPath("machine-x.slice:cri-containerd:0123", "id")).toEqual({ unit: "cri-containerd-0123.scope", slice: "machine-x.slice", kind: "scope" });
  });

  test("an empty slice is system.slice; an empty cgroupsPath is :tsrunc:<id>", () => {
    expect(parseSystemdPath(":p:n", "id").slice).toBe("system.slice");
    expect(parseSystemdPath("", "abc")).toEqual({ unit: "tsrunc-abc.scope", slice: "system.slice", kind: "scope" });
    expect(parseSystemdPath(undefined, "abc").unit).toBe("tsrunc-abc.scope");
  });

  test("a name ending in .slice is a slice, and the prefix is ignored", () => {
    expect(parseSystemdPath("kubepods.slice:ignored:kubepods-besteffort.slice", "id")).toEqual({ unit: "kubepods-besteffort.slice", slice: "kubepods.slice", kind: "slice" });
  });

  test("anything else is an error that shows the expected form", () => {
    expect(() => parseSystemdPath("/absolute/path", "abc")).toThrow(/must have the form "slice:prefix:name" \(e.g. "system.slice:tsrunc:abc"\)/);
    expect(() => parseSystemdPath("a:b", "abc")).toThrow(/slice:prefix:name/);
    expect(() => parseSystemdPath("system.slice:p:", "abc")).toThrow(/name .* is empty/);
    expect(() => parseSystemdPath("system:p:n", "abc")).toThrow(/invalid slice name "system"/);
    expect(() => parseSystemdPath("system.slice:p:a b", "abc")).toThrow(/systemd unit name "p-a b.scope"/);
  });

  test("slices nest by dashes; -.slice is the root", () => {
    expect(expandSlice("system.slice")).toBe("/system.slice");
    expect(expandSlice("a-b-c.slice")).toBe("/a.slice/a-b.slice/a-b-c.slice");
    expect(expandSlice("-.slice")).toBe("/");
    for (const bad of ["a--b.slice", "-a.slice", "a-.slice", ".slice", "a/b.slice", "a.scope"]) expect(() => expandSlice(bad)).toThrow(/invalid slice name/);
  });

  test("unit object paths escape every non-alphanumeric byte", () => {
    expect(unitObjectPath("tsrunc-abc.scope")).toBe("/org/freedesktop/systemd1/unit/tsrunc_2dabc_2escope");
    expect(unitObjectPath("a_b@1.service")).toBe("/org/freedesktop/systemd1/unit/a_5fb_401_2eservice");
  });
});

describe("base properties", () => {
  const scope = parseSystemdPath("system.slice:tsrunc:abc", "abc");

  test("a scope: Slice, the pid, Delegate, accounting, no default dependencies", () => {
    expect(asMap(baseProperties(scope, { id: "abc", pid: 4242, mode: "hybrid" }))).toEqual({
      Description: ["s", "tsrunc container abc"], Slice: ["s", "system.slice"], PIDs: ["au", [4242]], Delegate: ["b", true],
      MemoryAccounting: ["b", true], CPUAccounting: ["b", true], BlockIOAccounting: ["b", true], TasksAccounting: ["b", true],
      DefaultDependencies: ["b", false],
    });
  });

  test("v2 accounts IO with IOAccounting; a slice is ordered with Wants= and has no Delegate", () => {
    expect(asMap(baseProperties(scope, { id: "abc", pid: 1, mode: "v2" })).IOAccounting).toEqual(["b", true]);
    const slice = asMap(baseProperties(parseSystemdPath("system.slice:x:pod.slice", "abc"), { id: "abc", pid: 0, mode: "v1" }));
    expect(slice.Wants).toEqual(["as", ["system.slice"]]);
    expect(slice.Slice).toBeUndefined();
    expect(slice.Delegate).toBeUndefined();
    expect(slice.PIDs).toBeUndefined();
  });
});

describe("resources → properties", () => {
  const res = { memory: { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20 }, cpu: { shares: 512, quota: 25_000, period: 100_000, cpus: "0-1", mems: "0" }, pids: { limit: 50 }, blockIO: { weight: 500 }, devices: [{ allow: true, access: "rwm" }] };

  test("v1 and hybrid: runc's legacy names", () => {
    expect(asMap(resourceProperties(res, "hybrid", 252))).toEqual({
      DevicePolicy: ["s", "auto"], DeviceAllow: ["a(ss)", []],
      MemoryLimit: ["t", 64n << 20n], CPUShares: ["t", 512n], BlockIOWeight: ["t", 500n],
      CPUQuotaPeriodUSec: ["t", 100_000n], CPUQuotaPerSecUSec: ["t", 250_000n], TasksMax: ["t", 50n],
      AllowedCPUs: ["ay", [3]], AllowedMemoryNodes: ["ay", [1]],
    });
  });

  test("v2: MemoryMax/Low, swap alone, CPUWeight from shares", () => {
    const m = asMap(resourceProperties(res, "v2", 252));
    expect(m.MemoryMax).toEqual(["t", 64n << 20n]);
    expect(m.MemoryLow).toEqual(["t", 32n << 20n]);
    expect(m.MemorySwapMax).toEqual(["t", 64n << 20n]);
    expect(m.CPUWeight).toEqual(["t", 20n]);
    expect(m.MemoryLimit).toBeUndefined();
    expect(m.BlockIOWeight).toBeUndefined();
  });

  test("-1 is systemd's infinity; 0 and unset give nothing", () => {
    const m = asMap(resourceProperties({ memory: { limit: -1 }, pids: { limit: -1 } }, "v1", 252));
    expect(m.MemoryLimit).toEqual(["t", MAX_U64]);
    expect(m.TasksMax).toEqual(["t", MAX_U64]);
    expect(Object.keys(asMap(resourceProperties({ memory: { limit: 0, reservation: 0 }, cpu: { shares: 0 }, pids: { limit: 0 } }, "v1", 252)))).toEqual(["DevicePolicy", "DeviceAllow"]);
  });

  test("a CPU quota becomes µs per second, rounded up to whole percent", () => {
    expect(asMap(cpuQuotaProperties(50_000, 100_000, 252)).CPUQuotaPerSecUSec).toEqual(["t", 500_000n]);
    // 33333/100000 = 333330 µs/s → 340000
    expect(asMap(cpuQuotaProperties(33_333, 0, 252))).toEqual({ CPUQuotaPerSecUSec: ["t", 340_000n] });
    expect(asMap(cpuQuotaProperties(-1, 50_000, 252))).toEqual({ CPUQuotaPeriodUSec: ["t", 50_000n], CPUQuotaPerSecUSec: ["t", MAX_U64] });
    expect(cpuQuotaProperties(0, 0, 252)).toEqual([]);
  });

  test("properties older systemds lack are left to the cgroupfs writes", () => {
    const m = asMap(resourceProperties(res, "v1", 241));
    expect(m.CPUQuotaPeriodUSec).toBeUndefined();
    expect(m.AllowedCPUs).toBeUndefined();
    expect(m.CPUQuotaPerSecUSec).toEqual(["t", 250_000n]);
  });

  test("cpu lists become little-endian bitmasks", () => {
    expect(cpuMask("0", "p")).toEqual([1]);
    expect(cpuMask("0-2,7", "p")).toEqual([0x87]);
    expect(cpuMask("9", "p")).toEqual([0, 2]);
    expect(() => cpuMask("a-b", "/linux/resources/cpu/cpus")).toThrow(/^\/linux\/resources\/cpu\/cpus: bad cpu list/);
  });

  test("unified keys systemd knows become properties; others are left to cgroupfs", () => {
    expect(asMap(unifiedProperties({ "memory.max": "max", "memory.high": "1000", "pids.max": "10", "cpu.weight": "50", "cpu.max": "max 50000", "io.weight": "default 100" }, 252))).toEqual({
      MemoryMax: ["t", MAX_U64], MemoryHigh: ["t", 1000n], TasksMax: ["t", 10n], CPUWeight: ["t", 50n],
      CPUQuotaPeriodUSec: ["t", 50_000n], CPUQuotaPerSecUSec: ["t", MAX_U64],
    });
    expect(() => unifiedProperties({ "memory.max": "lots" }, 252)).toThrow(/unified\/memory.max: cannot read "lots"/);
    expect(() => unifiedProperties({ "../x": "1" }, 252)).toThrow(/cgroup v2 file name/);
  });

  test("an impossible swap is the config's error, before systemd is asked", () => {
    expect(() => resourceProperties({ memory: { limit: 100, swap: 50 } }, "v2", 252)).toThrow(/memory\+swap limit should be >= memory limit/);
  });
});

describe("device rules → DevicePolicy/DeviceAllow", () => {
  const denyAll = { allow: false, access: "rwm" };

  test("the usual config (deny all, then the defaults) is a strict allow list", () => {
    const m = asMap(deviceProperties([denyAll], 252));
    expect(m.DevicePolicy).toEqual(["s", "strict"]);
    expect(m.DeviceAllow[1]).toEqual([
      ["char-*", "m"], ["block-*", "m"], ["/dev/char/1:3", "rwm"], ["/dev/char/1:8", "rwm"], ["/dev/char/1:7", "rwm"], ["/dev/char/5:0", "rwm"],
      ["/dev/char/1:5", "rwm"], ["/dev/char/1:9", "rwm"], ["/dev/char/5:1", "rwm"], ["char-136", "rwm"], ["/dev/char/5:2", "rwm"],
    ]);
  });

  test("no rules, or allow-all last, is DevicePolicy=auto with an empty list", () => {
    expect(asMap(deviceProperties(undefined, 252))).toEqual({ DevicePolicy: ["s", "auto"], DeviceAllow: ["a(ss)", []] });
    expect(simulateDeviceRules([denyAll, { allow: true, access: "rwm" }])).toBe("allow-all");
  });

  test("denials on top of allow-all cannot be said to systemd: an empty strict list until cgroupfs has the rules", () => {
    expect(simulateDeviceRules([{ allow: false, type: "c", major: 10, minor: 200, access: "rwm" }, ...DEFAULT_ALLOWED])).toBe("deny-list");
    expect(asMap(deviceProperties([{ allow: false, type: "c", major: 10, minor: 200, access: "rw" }], 252))).toEqual({ DevicePolicy: ["s", "strict"], DeviceAllow: ["a(ss)", []] });
  });

  test("a denial inside an allow list takes access away, and drops entries it only partly covers", () => {
    const rules = [denyAll, { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }, { allow: true, type: "c", major: 4, access: "rw" }, { allow: false, type: "c", major: 1, minor: 3, access: "w" }, { allow: false, type: "c", major: 4, minor: 1, access: "r" }];
    expect(simulateDeviceRules(rules)).toEqual([{ type: "c", major: 1, minor: 3, access: "rm" }]);
  });

  test("systemd's path forms, and the one it lacks", () => {
    expect(deviceAllowPath({ type: "b", major: 8, minor: 0, access: "r" }, 252)).toBe("/dev/block/8:0");
    expect(deviceAllowPath({ type: "c", major: 136, access: "r" }, 252)).toBe("char-136");
    expect(deviceAllowPath({ type: "c", major: 136, access: "r" }, 239)).toBeUndefined();
    expect(deviceAllowPath({ type: "b", access: "m" }, 252)).toBe("block-*");
    expect(deviceAllowPath({ type: "c", minor: 3, access: "r" }, 252)).toBeUndefined();
  });

  test("an unknown device type is the config's error", () => {
    expect(() => simulateDeviceRules([denyAll, { allow: true, type: "x", access: "r" }])).toThrow(/unknown device type "x"/);
  });
});

describe("the bus", () => {
  test("$DBUS_SYSTEM_BUS_ADDRESS wins; root otherwise uses systemd's private socket when it exists", () => {
    expect(defaultBusAddress({ DBUS_SYSTEM_BUS_ADDRESS: "unix:path=/x" }, 0)).toBe("unix:path=/x");
    expect(defaultBusAddress({}, 1000)).toBe("unix:path=/run/dbus/system_bus_socket");
  });

  test("systemd versions as the Manager reports them", () => {
    expect(parseSystemdVersion("252.38-1~deb12u1")).toBe(252);
    expect(parseSystemdVersion("v245.4-1.fc32")).toBe(245);
    expect(parseSystemdVersion("\"249\"")).toBe(249);
    expect(parseSystemdVersion("unknown")).toBe(-1);
  });

});

describe("predicting the unit's directories", () => {
  const hier = [
    { key: "memory", mountpoint: "/sys/fs/cgroup/memory", root: "/", version: 1 as const },
    { key: "freezer", mountpoint: "/sys/fs/cgroup/freezer", root: "/", version: 1 as const },
    { key: "", mountpoint: "/sys/fs/cgroup/unified", root: "/", version: 2 as const },
  ];

  test("under systemd's root: PID 1's cgroup without init.scope, then the slices, then the unit", () => {
    const init = new Map([["memory", "/init.scope"], ["freezer", "/"], ["", "/init.scope"]]);
    expect(predictSystemdDirs(hier, init, parseSystemdPath("a-b.slice:tsrunc:x", "x")).map((d) => d.dir)).toEqual([
      "/sys/fs/cgroup/memory/a.slice/a-b.slice/tsrunc-x.scope", "/sys/fs/cgroup/freezer/a.slice/a-b.slice/tsrunc-x.scope", "/sys/fs/cgroup/unified/a.slice/a-b.slice/tsrunc-x.scope",
    ]);
  });

  test("systemd in a container (the integration test's): its root is its own cgroup", () => {
    const init = new Map([["memory", "/ct/init.scope"], ["freezer", "/ct"], ["", "/ct/init.scope"]]);
    expect(predictSystemdDirs(hier, init, parseSystemdPath("", "x"))[0].dir).toBe("/sys/fs/cgroup/memory/ct/system.slice/tsrunc-x.scope");
  });
});
