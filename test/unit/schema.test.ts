// Schema validation (the generated standalone validator), ociVersion and JSON syntax errors.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../src/errors";
import { locateJsonError } from "../../src/spec/json-error";
import { parseSpecText } from "../../src/spec/load";
import { validateSchema } from "../../src/spec/schema";
import { checkOciVersion } from "../../src/spec/version";

const FIXTURES = join(import.meta.dir, "..", "fixtures", "configs");
const validFiles = readdirSync(join(FIXTURES, "valid")).filter((f) => f.endsWith(".json"));
const read = (dir: string, f: string) => JSON.parse(readFileSync(join(FIXTURES, dir, f), "utf8"));
const runcSpec = () => read("valid", "runc-spec.json");

test("the committed generated validator matches schema/*.json", () => {
  // Regenerating is deterministic; a stale file means someone edited the schema and forgot compile.ts.
  const r = spawnSync(process.execPath, [join(import.meta.dir, "..", "..", "schema", "compile.ts"), "--check"], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
});

test("the generated validator's patterns are literals, not RegExps built at load", () => {
  // every tsrunc process evaluates the module; a literal's pattern is parsed at build time
  const code = readFileSync(join(import.meta.dir, "..", "..", "src", "spec", "generated", "validate-config.js"), "utf8");
  expect(code).not.toContain("new RegExp(");
  expect(code.match(/^const pattern\d+ = \/.+\/u;$/gm)?.length).toBeGreaterThan(0);
});

describe("valid corpus passes the schema", () => {
  test("corpus is there", () => expect(validFiles.length).toBeGreaterThanOrEqual(6));
  for (const f of validFiles) {
    test(f, () => {
      const config = read("valid", f);
      expect(validateSchema(config)).toEqual([]);
      expect(checkOciVersion(config.ociVersion)).toBeNull();
    });
  }
});

describe("messages name the field by JSON pointer and say the fix", () => {
  const problems = (mutate: (c: any) => void) => {
    const c = runcSpec();
    mutate(c);
    return validateSchema(c);
  };

  test("empty args", () => {
    expect(problems((c) => (c.process.args = []))).toEqual(["/process/args: must have at least 1 item"]);
  });
  test("wrong type", () => {
    expect(problems((c) => (c.process.user.uid = "0"))).toEqual(["/process/user/uid: must be an integer"]);
    expect(problems((c) => (c.process.user.uid = 1.5))).toEqual(["/process/user/uid: must be an integer"]);
    expect(problems((c) => (c.root.readonly = "yes"))).toEqual(["/root/readonly: must be a boolean (true or false)"]);
    expect(problems((c) => (c.mounts = {}))).toEqual(["/mounts: must be an array"]);
  });
  test("missing required property points at the property", () => {
    expect(problems((c) => delete c.process.cwd)).toEqual(["/process/cwd: is required"]);
    expect(problems((c) => delete c.ociVersion)).toEqual(["/ociVersion: is required"]);
    expect(problems((c) => (c.linux.namespaces[0] = {}))).toEqual(["/linux/namespaces/0/type: is required"]);
  });
  test("enum lists the allowed values", () => {
    expect(problems((c) => (c.linux.namespaces[2].type = "net"))).toEqual([
      "/linux/namespaces/2/type: must be one of pid, network, mount, ipc, uts, user, cgroup, time",
    ]);
  });
  test("ranges", () => {
    expect(problems((c) => (c.process.user.gid = -1))).toEqual(["/process/user/gid: must not be negative"]);
    expect(problems((c) => (c.process.user.gid = 2 ** 32))).toEqual(["/process/user/gid: must be at most 4294967295"]);
    expect(problems((c) => (c.process.oomScoreAdj = 1001))).toEqual(["/process/oomScoreAdj: must be at most 1000"]);
  });
  test("patterns explain themselves", () => {
    expect(problems((c) => (c.process.rlimits[0].type = "nofile"))).toEqual([
      "/process/rlimits/0/type: must be an rlimit name such as RLIMIT_NOFILE (see getrlimit(2))",
    ]);
    expect(problems((c) => (c.linux.resources.devices[0].access = "rwx"))).toEqual([
      '/linux/resources/devices/0/access: must be made of the letters r, w and m (e.g. "rwm")',
    ]);
  });
  test("anyOf noise becomes one line", () => {
    expect(problems((c) => (c.linux.resources.rdma = { mlx5_1: {} }))).toEqual([
      "/linux/resources/rdma/mlx5_1: must have at least one of hcaHandles, hcaObjects",
    ]);
    expect(problems((c) => (c.linux.resources.blockIO = { weightDevice: [{ major: 8, minor: 0 }] }))).toEqual([
      "/linux/resources/blockIO/weightDevice/0: must have at least one of weight, leafWeight",
    ]);
  });
  test("if/else reports only the missing fields", () => {
    expect(problems((c) => (c.linux.devices = [{ type: "c", path: "/dev/x" }, { type: "p", path: "/dev/f" }]))).toEqual([
      "/linux/devices/0/major: is required",
      "/linux/devices/0/minor: is required",
    ]);
  });
  test("nullable annotations", () => {
    expect(problems((c) => (c.annotations = null))).toEqual([]);
    expect(problems((c) => (c.annotations = 5))).toEqual(["/annotations: must be an object or null"]);
    expect(problems((c) => (c.annotations = { a: 1 }))).toEqual(["/annotations/a: must be a string"]);
  });
  test("keys with / are escaped as RFC 6901 says", () => {
    expect(problems((c) => (c.linux.sysctl = { "net/ipv4/ip_forward": 1 }))).toEqual([
      "/linux/sysctl/net~1ipv4~1ip_forward: must be a string",
    ]);
  });
  test("unknown properties are allowed, known ones are typed", () => {
    expect(problems((c) => Object.assign(c, { windows: {}, vm: { x: 1 }, "org.example": true }))).toEqual([]);
    expect(problems((c) => (c.linux.personality = { domain: "LINUX64" }))).toEqual([
      "/linux/personality/domain: must be one of LINUX, LINUX32",
    ]);
  });
  test("root that is not an object", () => {
    expect(validateSchema([])).toEqual(["/: must be an object"]);
    expect(validateSchema(null)).toEqual(["/: must be an object"]);
  });
  test("all problems are reported, each once", () => {
    const p = problems((c) => {
      c.process.args = [];
      c.process.user.uid = "0";
      c.linux.namespaces[1].type = "bogus";
      c.linux.seccomp = { defaultAction: "SCMP_ACT_DENY", syscalls: [{ names: [], action: "SCMP_ACT_ALLOW" }] };
    });
    expect(p.length).toBe(new Set(p).size);
    expect(p).toContain("/process/args: must have at least 1 item");
    expect(p).toContain("/process/user/uid: must be an integer");
    expect(p.some((m) => m.startsWith("/linux/namespaces/1/type: must be one of"))).toBe(true);
    expect(p.some((m) => m.startsWith("/linux/seccomp/defaultAction: must be one of SCMP_ACT_KILL"))).toBe(true);
    expect(p).toContain("/linux/seccomp/syscalls/0/names: must have at least 1 item");
  });
  test("1.3 fields are typed", () => {
    const p = problems((c) => {
      c.linux.memoryPolicy = { mode: "MPOL_FAST" };
      c.linux.intelRdt = { schemata: "L3:0=f", enableMonitoring: "yes" };
      c.linux.netDevices = { eth1: { name: 3 } };
      c.process.scheduler = { nice: 1 };
      c.process.ioPriority = { class: "IOPRIO_CLASS_RT", priority: "1" };
      c.process.execCPUAffinity = { initial: "a-b" };
      c.linux.resources.cpu = { burst: -1, idle: "1" };
      c.linux.resources.memory = { checkBeforeUpdate: 1 };
    });
    expect(p).toEqual([
      "/process/scheduler/policy: is required",
      "/process/ioPriority/priority: must be an integer",
      '/process/execCPUAffinity/initial: must be a list of numbers and ranges such as "0-3,7"',
      "/linux/netDevices/eth1/name: must be a string",
      "/linux/resources/memory/checkBeforeUpdate: must be a boolean (true or false)",
      "/linux/resources/cpu/burst: must not be negative",
      "/linux/resources/cpu/idle: must be an integer",
      "/linux/intelRdt/schemata: must be an array",
      "/linux/intelRdt/enableMonitoring: must be a boolean (true or false)",
      expect.stringMatching(/^\/linux\/memoryPolicy\/mode: must be one of MPOL_DEFAULT, /),
    ]);
  });
});

describe("ociVersion", () => {
  test.each(["1.0.0", "1.0.1", "1.0.2-dev", "1.1.0", "1.2.0", "1.2.1-dev", "1.3.0", "1.3.9", "1.3.10", "1.3.0-rc.1", "1.1.0+build.5"])("%s is supported", (v) => {
    expect(checkOciVersion(v)).toBeNull();
  });
  test.each(["0.9.0", "1.0.0-rc5", "1.0.0-dev", "1.4.0", "1.4.0-dev", "2.0.0", "10.0.0"])("%s is out of range", (v) => {
    expect(checkOciVersion(v)).toBe(`version ${v} is not supported: tsrunc supports 1.0.0 to 1.3.x`);
  });
  test.each(["", "1.0", "abc", "v1.0.0", " 1.0.0", "1.0.0.0", "1.00.0", "1.2.1-dev\n"])("%p is not semver", (v) => {
    expect(checkOciVersion(v)).toContain("is not a semantic version");
  });
});

describe("malformed JSON names line and column", () => {
  test("trailing comma", () => {
    const text = readFileSync(join(FIXTURES, "invalid", "malformed-json.json"), "utf8");
    expect(locateJsonError(text)).toEqual({ line: 5, column: 2, reason: 'expected a property name in double quotes, found "}"' });
    let caught: unknown;
    try {
      parseSpecText(text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toBe(
      'config.json: invalid JSON at line 5, column 2: expected a property name in double quotes, found "}"',
    );
  });
  test.each([
    ['{"a": 1', 1, 8, 'expected "," or "}" after a property value, found end of file'],
    ['{"a" 1}', 1, 6, 'expected ":" after a property name, found "1"'],
    ["[1, 2,]", 1, 7, 'unexpected "]"'],
    ['{"a": tru}', 1, 7, 'unexpected "t"'],
    ['{"a": "x\ny"}', 1, 9, "control character U+000a inside a string: escape it"],
    ['{"a": "\\q"}', 1, 9, "invalid escape \\q"],
    ['{"a": 01}', 1, 8, 'expected "," or "}" after a property value, found "1"'],
    ["{} {}", 1, 4, 'unexpected "{" after the end of the document'],
    ["", 1, 1, "unexpected end of file"],
    ["\n\n  {\n   'a': 1}", 4, 4, 'expected a property name in double quotes, found "\'"'],
  ])("%p", (text, line, column, reason) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(locateJsonError(text)).toEqual({ line, column, reason });
  });
  test("well-formed text has no error", () => {
    expect(locateJsonError('{"a": [1, -2.5e3, true, false, null, "\\u00e9\\n"], "b": {}}')).toBeNull();
  });
});
