import { test, expect, describe, afterEach } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { applyIntelRdt, removeIntelRdt, schemataLines, resctrlMounted } from "../../src/linux/intelrdt";

let root = "";
afterEach(() => { if (root) fs.rmSync(root, { recursive: true, force: true }); });
/** a resctrl-shaped directory (on resctrl, mkdir of a group makes its files; here the test does) */
function fakeResctrl(): string {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "resctrl-"));
  fs.mkdirSync(path.join(root, "info"));
  return root;
}

describe("linux.intelRdt through resctrl", () => {
  test("schemata lines from l3CacheSchema, memBwSchema and schemata", () => {
    expect(schemataLines({ l3CacheSchema: "L3:0=ff", memBwSchema: "MB:0=50", schemata: ["L2:0=f", "  "] })).toEqual(["L3:0=ff", "MB:0=50", "L2:0=f"]);
  });

  test("a group named after the container gets the schemata and the pid; delete removes it", () => {
    const r = fakeResctrl();
    const created = applyIntelRdt({ l3CacheSchema: "L3:0=ff" }, "c1", 4242, r);
    expect(created).toEqual([path.join(r, "c1")]);
    expect(fs.readFileSync(path.join(r, "c1", "schemata"), "utf8")).toBe("L3:0=ff\n");
    expect(fs.readFileSync(path.join(r, "c1", "tasks"), "utf8")).toBe("4242");
    for (const f of ["schemata", "tasks"]) fs.rmSync(path.join(r, "c1", f)); // resctrl removes them with the group
    expect(removeIntelRdt(created)).toEqual([]);
    expect(fs.existsSync(path.join(r, "c1"))).toBe(false);
  });

  test("an existing closID is joined, not created; monitoring gets its own mon group", () => {
    const r = fakeResctrl();
    fs.mkdirSync(path.join(r, "shared", "mon_groups"), { recursive: true });
    const created = applyIntelRdt({ closID: "shared", enableMonitoring: true }, "c2", 7, r);
    expect(created).toEqual([path.join(r, "shared", "mon_groups", "c2")]);
    expect(fs.readFileSync(path.join(r, "shared", "mon_groups", "c2", "tasks"), "utf8")).toBe("7");
  });

  test("without resctrl the error names the field and says how to mount it", () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "noresctrl-"));
    expect(resctrlMounted(root)).toBe(false);
    expect(() => applyIntelRdt({ closID: "x" }, "c", 1, root)).toThrow("/linux/intelRdt: resctrl is not mounted");
  });
});
