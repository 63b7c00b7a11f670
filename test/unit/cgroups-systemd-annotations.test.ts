// The systemd driver's extra inputs: GVariant text (org.systemd.property.* annotation values, as
// runc reads them), the annotations → unit properties, and the properties `update` sends
// (SetUnitProperties' sba(sv)).
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MAX_U64 } from "../../src/linux/cgroups/fsio";
import { annotationProperties, secondsToUSec } from "../../src/linux/cgroups/systemd/annotations";
import { parseGVariant } from "../../src/linux/cgroups/systemd/gvariant";
import { resourceProperties, type Property } from "../../src/linux/cgroups/systemd/properties";
import { withCurrentPeriod } from "../../src/linux/cgroups/systemd/update";
import { marshal, unmarshal, Variant } from "../../src/linux/cgroups/systemd/wire";

const gv = (s: string) => {
  const v = parseGVariant(s);
  return [v.signature, v.value];
};
const asMap = (props: Property[]) => Object.fromEntries(props.map(([n, v]) => [n, [v.signature, v.value]]));

describe("GVariant text", () => {
  test("scalars: a bare integer is int32, a bare float a double, keywords and @type choose", () => {
    expect(gv("true")).toEqual(["b", true]);
    expect(gv("  false ")).toEqual(["b", false]);
    expect(gv("123")).toEqual(["i", 123]);
    expect(gv("-7")).toEqual(["i", -7]);
    expect(gv("1.5")).toEqual(["d", 1.5]);
    expect(gv("2e3")).toEqual(["d", 2000]);
    expect(gv("uint64 123456789")).toEqual(["t", 123456789n]);
    expect(gv("@t 1000")).toEqual(["t", 1000n]);
    expect(gv("uint64 18446744073709551615")).toEqual(["t", MAX_U64]);
    expect(gv("int64 -5")).toEqual(["x", -5n]);
    expect(gv("byte 0xff")).toEqual(["y", 255]);
    expect(gv("uint32 010")).toEqual(["u", 8]); // a leading 0 is octal, as in GLib
    expect(gv("int16 -32768")).toEqual(["n", -32768]);
    expect(gv("uint16 65535")).toEqual(["q", 65535]);
    expect(gv("double 3")).toEqual(["d", 3]);
    expect(gv("@d 0.25")).toEqual(["d", 0.25]);
  });

  test("strings in either quotes with escapes; object paths, signatures, byte strings", () => {
    expect(gv("'inactive-or-failed'")).toEqual(["s", "inactive-or-failed"]);
    expect(gv('"infinity"')).toEqual(["s", "infinity"]);
    expect(gv(String.raw`'it\'s \"x\"\n\u00e9'`)).toEqual(["s", "it's \"x\"\né"]);
    expect(gv("objectpath '/org/freedesktop/systemd1'")).toEqual(["o", "/org/freedesktop/systemd1"]);
    expect(gv("signature 'a(sv)'")).toEqual(["g", "a(sv)"]);
    expect(gv("string 'x'")).toEqual(["s", "x"]);
    expect(gv("b'ab'")).toEqual(["ay", [97, 98]]);
  });

  test("containers: arrays share one type (an explicit one wins), tuples, dictionaries, variants", () => {
    expect(gv("['a', 'b']")).toEqual(["as", ["a", "b"]]);
    expect(gv("[1, 2]")).toEqual(["ai", [1, 2]]);
    expect(gv("[1, 2.5]")).toEqual(["ad", [1, 2.5]]);
    expect(gv("[1, uint64 2]")).toEqual(["at", [1n, 2n]]);
    expect(gv("@au [1, 2]")).toEqual(["au", [1, 2]]);
    expect(gv("@as []")).toEqual(["as", []]);
    expect(gv("[@as [], ['x']]")).toEqual(["aas", [[], ["x"]]]);
    expect(gv("[('/dev/null', 'rwm'), ('char-pts', 'rw')]")).toEqual(["a(ss)", [["/dev/null", "rwm"], ["char-pts", "rw"]]]);
    expect(gv("{'a': 1, 'b': 2}")).toEqual(["a{si}", [["a", 1], ["b", 2]]]);
    expect(gv("@a{sv} {}")).toEqual(["a{sv}", []]);
    const [sig, v] = gv("<uint64 5>");
    expect(sig).toBe("v");
    expect(v).toEqual(new Variant("t", 5n));
  });

  test("what has no D-Bus form or does not parse is an error saying what and where", () => {
    expect(() => parseGVariant("infinity")).toThrow(/unexpected "infinity".*strings need quotes/);
    expect(() => parseGVariant("[]")).toThrow(/empty array.*@as \[\]/);
    expect(() => parseGVariant("uint64 -1")).toThrow(/-1 is out of range for type t/);
    expect(() => parseGVariant("byte 256")).toThrow(/out of range for type y/);
    expect(() => parseGVariant("uint64 1.5")).toThrow(/1.5 is not an integer/);
    expect(() => parseGVariant("'abc")).toThrow(/unterminated string/);
    expect(() => parseGVariant("['a', 1]")).toThrow(/the number 1 is not of type s/);
    expect(() => parseGVariant("[true, 'a']")).toThrow(/different types \(b, s\)/);
    expect(() => parseGVariant("123 456")).toThrow(/unexpected "456" after the value \(at offset 4\)/);
    expect(() => parseGVariant("just 5")).toThrow(/maybe types/);
    expect(() => parseGVariant("@mi 5")).toThrow(/bad type/);
    expect(() => parseGVariant("()")).toThrow(/empty tuple/);
    expect(() => parseGVariant("objectpath 'no/slash'")).toThrow(/not of type o/);
    expect(() => parseGVariant("@t 'x'")).toThrow(/string "x" is not of type t/);
    expect(() => parseGVariant("")).toThrow(/a value is missing/);
    expect(() => parseGVariant("[1, 2")).toThrow(/expected "]"/);
  });
});

describe("org.systemd.property.* annotations", () => {
  test("become properties in the config's order; other annotations are ignored", () => {
    const props = annotationProperties({
      "org.systemd.property.TimeoutStopUSec": "uint64 123456789",
      "io.kubernetes.cri.sandbox-id": "x",
      "org.systemd.property.CollectMode": "'inactive-or-failed'",
      "org.systemd.property.TasksAccounting": "true",
      "org.systemd.property.MemoryMax": "@t 1073741824",
    });
    expect(props.map(([n, v]) => [n, v.signature, v.value])).toEqual([
      ["TimeoutStopUSec", "t", 123456789n],
      ["CollectMode", "s", "inactive-or-failed"],
      ["TasksAccounting", "b", true],
      ["MemoryMax", "t", 1073741824n],
    ]);
    expect(annotationProperties(undefined)).toEqual([]);
  });

  test("a ...Sec name (as unit files spell it) is sent as ...USec, in microseconds", () => {
    expect(asMap(annotationProperties({ "org.systemd.property.TimeoutStopSec": "123" }))).toEqual({ TimeoutStopUSec: ["t", 123_000_000n] });
    expect(asMap(annotationProperties({ "org.systemd.property.RuntimeMaxSec": "1.5" }))).toEqual({ RuntimeMaxUSec: ["t", 1_500_000n] });
    expect(asMap(annotationProperties({ "org.systemd.property.TimeoutStopUSec": "uint64 7" }))).toEqual({ TimeoutStopUSec: ["t", 7n] });
    expect(secondsToUSec(new Variant("y", 2)).value).toBe(2_000_000n);
    expect(() => secondsToUSec(new Variant("t", MAX_U64))).toThrow(/do not fit/);
  });

  test("errors name the annotation", () => {
    expect(() => annotationProperties({ "org.systemd.property.Memory-Max": "1" })).toThrow(/^annotation org.systemd.property.Memory-Max: "Memory-Max" is not a systemd property name/);
    expect(() => annotationProperties({ "org.systemd.property.Ab": "1" })).toThrow(/at least 3/);
    expect(() => annotationProperties({ "org.systemd.property.MemoryMax": "infinity" })).toThrow(
      /^annotation org.systemd.property.MemoryMax: cannot read the value "infinity" as GVariant text \(e.g. uint64 123, true, 'string'\): unexpected "infinity"/);
    expect(() => annotationProperties({ "org.systemd.property.TimeoutStopSec": "'10s'" })).toThrow(/^annotation org.systemd.property.TimeoutStopSec: a time in seconds must be a number, not type s/);
    expect(() => annotationProperties({ "org.systemd.property.TimeoutStopSec": "-1" })).toThrow(/-1 is not a number of seconds/);
  });
});

describe("update: the properties SetUnitProperties gets", () => {
  test("only what was given; no device list unless given (the container's would be replaced)", () => {
    expect(asMap(resourceProperties({ memory: { limit: 96 << 20 } }, "v1", 252, { update: true }))).toEqual({ MemoryLimit: ["t", BigInt(96 << 20)] });
    expect(asMap(resourceProperties({ memory: { limit: -1 }, pids: { limit: 50 } }, "v2", 252, { update: true }))).toEqual({
      MemoryMax: ["t", MAX_U64], MemorySwapMax: ["t", MAX_U64], TasksMax: ["t", 50n],
    });
    const dev = asMap(resourceProperties({ devices: [{ allow: false, access: "rwm" }] }, "v1", 252, { update: true }));
    expect(dev.DevicePolicy).toEqual(["s", "strict"]);
    // create always sends a device list
    expect(asMap(resourceProperties({}, "v1", 252)).DevicePolicy).toEqual(["s", "auto"]);
  });

  test("the body marshals as sba(sv): unit, runtime=true, the properties", () => {
    const props = resourceProperties({ memory: { limit: 1 << 30 }, cpu: { shares: 512 } }, "v1", 252, { update: true });
    const body = ["tsrunc-a.scope", true, props];
    expect(unmarshal("sba(sv)", marshal("sba(sv)", body))).toEqual(body);
  });

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrunc-sdupd-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test("a quota without a period takes the container's current period (systemd keeps the quota per second)", () => {
    fs.mkdirSync(path.join(tmp, "cpu"));
    fs.writeFileSync(path.join(tmp, "cpu", "cpu.cfs_period_us"), "50000\n");
    fs.mkdirSync(path.join(tmp, "v2"));
    fs.writeFileSync(path.join(tmp, "v2", "cpu.max"), "max 20000\n");
    const v1 = [{ key: "cpu,cpuacct", dir: path.join(tmp, "cpu"), version: 1 as const }];
    const v2 = [{ key: "", dir: path.join(tmp, "v2"), version: 2 as const }];
    expect(withCurrentPeriod({ cpu: { quota: 25000 } }, v1).cpu).toEqual({ quota: 25000, period: 50000 });
    expect(withCurrentPeriod({ cpu: { quota: 25000 } }, v2).cpu).toEqual({ quota: 25000, period: 20000 });
    // 25 ms per 50 ms is half a CPU: 500 ms per second, not the 250 ms of the default period
    expect(asMap(resourceProperties(withCurrentPeriod({ cpu: { quota: 25000 } }, v1), "v1", 252, { update: true })).CPUQuotaPerSecUSec).toEqual(["t", 500_000n]);
    // given period, or no cpu controller: unchanged
    expect(withCurrentPeriod({ cpu: { quota: 1, period: 7 } }, v1).cpu).toEqual({ quota: 1, period: 7 });
    expect(withCurrentPeriod({ cpu: { quota: 1 } }, [{ key: "memory", dir: tmp, version: 1 }]).cpu).toEqual({ quota: 1 });
    expect(withCurrentPeriod({ memory: { limit: 1 } }, v1)).toEqual({ memory: { limit: 1 } });
  });
});
