import { test, expect, describe, afterEach } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { ok, newId, bundle, runDetached, procFile, cleanup } from "./helpers";

afterEach(cleanup);

/** hierarchy key (controllers, "name=systemd" or "" for cgroup2) → mount point, from our mountinfo */
function hierarchies(): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of procFile(process.pid, "mountinfo").trim().split("\n")) {
    const [left, right] = line.split(" - ");
    const [fstype, , opts] = right.split(" ");
    if (fstype === "cgroup2") m.set("", left.split(" ")[4]);
    if (fstype === "cgroup") m.set(opts.split(",").filter((o) => o !== "rw" && o !== "ro").sort().join(","), left.split(" ")[4]);
  }
  return m;
}

describe("cgroups (placement)", () => {
  test("the container joins cgroupsPath on every hierarchy, v1 and the cgroup2 mount; delete removes them", () => {
    const id = newId("cg");
    const cgPath = `/tsrunc-test-cg-${process.pid}/${id}`;
    const pid = runDetached(id, bundle(["sleep", "30"], (c) => { c.linux.cgroupsPath = cgPath; }));
    const own = procFile(pid, "cgroup").trim().split("\n");
    const h = hierarchies();
    expect(h.size).toBeGreaterThan(0);
    for (const [key, mnt] of h) {
      const line = own.find((l) => l.split(":")[1] === key)!;
      expect(line.split(":")[2]).toBe(cgPath);
      const procs = fs.readFileSync(path.join(mnt, cgPath, "cgroup.procs"), "utf8").split("\n").map(Number);
      expect(procs).toContain(pid);
    }
    ok(["delete", "--force", id]);
    for (const mnt of h.values()) {
      expect(fs.existsSync(path.join(mnt, cgPath))).toBe(false);
      expect(fs.existsSync(path.join(mnt, path.dirname(cgPath)))).toBe(false);
    }
  });

  test("delete leaves a parent cgroup it made while another container still uses it", () => {
    const parent = `/tsrunc-test-par-${process.pid}`;
    const [a, b] = [newId("par-a"), newId("par-b")];
    const mem = hierarchies().get("memory")!;
    try {
      runDetached(a, bundle(["sleep", "30"], (c) => { c.linux.cgroupsPath = `${parent}/a`; }));
      runDetached(b, bundle(["sleep", "30"], (c) => { c.linux.cgroupsPath = `${parent}/b`; }));
      // no "remove cgroup ...: EBUSY" warning (retrying on the parent would end in one)
      expect(ok(["delete", "--force", a]).stderr).toBe("");
      expect(fs.existsSync(path.join(mem, parent, "a"))).toBe(false);
      expect(fs.existsSync(path.join(mem, parent, "b"))).toBe(true); // a made the parent; b is in it
      ok(["delete", "--force", b]);
      expect(fs.existsSync(path.join(mem, parent, "b"))).toBe(false);
    } finally {
      cleanup();
      // b did not make the parent, so nobody removes it: the test does
      for (const mnt of hierarchies().values()) { try { fs.rmdirSync(path.join(mnt, parent)); } catch { /* gone */ } }
    }
  });

  test("an empty cgroupsPath places the container at <own cgroup>/<id>, like runc", () => {
    const id = newId("cgdef");
    const pid = runDetached(id, bundle(["sleep", "30"], (c) => { delete c.linux.cgroupsPath; }));
    const mine = new Map(procFile(process.pid, "cgroup").trim().split("\n").map((l) => [l.split(":")[1], l.split(":")[2]]));
    for (const l of procFile(pid, "cgroup").trim().split("\n")) {
      const [, key, p] = l.split(":");
      expect(p).toBe(path.posix.join(mine.get(key)!, id));
    }
  });

  test("the cgroup namespace roots the container's view at its own cgroup", () => {
    const r = ok(["run", "-b", bundle(["cat", "/proc/self/cgroup"], (c) => c.linux.namespaces.push({ type: "cgroup" })), newId("cgns")]);
    for (const l of r.stdout.trim().split("\n")) expect(l.split(":")[2]).toBe("/");
  });

  test("device rules: the default deny-all still allows /dev/null", () => {
    const r = ok(["run", "-b", bundle(["sh", "-c", "echo x > /dev/null && echo ok; head -c1 /dev/mem 2>&1; exit 0"], (c) => {
      c.linux.devices = [{ path: "/dev/mem", type: "c", major: 1, minor: 1, fileMode: 0o600 }];
    }), newId("devcg")]);
    expect(r.stdout).toContain("ok\n");
    expect(r.stdout).toContain("Operation not permitted");
  });
});
