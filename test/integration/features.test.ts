import { test, expect, describe, afterEach } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { tsrunc, ok, newId, bundle, rootfsCopy, cleanup } from "./helpers";

afterEach(cleanup);

// `features` must claim only what works: each claim is used by a real container here.
const features = () => JSON.parse(ok(["features"]).stdout);

describe("features claims hold", () => {
  test("every mount option claimed is accepted on a real mount", () => {
    const f = features();
    const src = fs.mkdtempSync("/tmp/tsrunc-test-feat-");
    try {
      const b = bundle(["true"], (c) => {
        c.root = { path: rootfsCopy(), readonly: true }; // the mount points are made in the rootfs
        (f.mountOptions as string[]).forEach((o, i) => {
          const idmap = o === "idmap" || o === "ridmap";
          const bind = o === "bind" || o === "rbind" || idmap;
          c.mounts.push({
            destination: `/opt${i}`, type: bind ? "bind" : "tmpfs", source: bind ? src : "tmpfs", options: [o],
            ...(idmap ? { uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] } : {}),
          });
        });
      });
      const r = tsrunc(["run", "-b", b, newId("mountopts")]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    } finally {
      fs.rmSync(src, { recursive: true, force: true });
    }
  });

  test("every seccomp action (but NOTIFY, tested with its listener), operator, arch and flag claimed loads", () => {
    const s = features().linux.seccomp;
    const actions = (s.actions as string[]).filter((a) => a !== "SCMP_ACT_NOTIFY" && a !== "SCMP_ACT_ALLOW");
    // rules on syscalls busybox true never makes, one per action; one condition per operator
    const spare = ["acct", "swapon", "swapoff", "pivot_root", "syslog", "vhangup", "kexec_load", "init_module"];
    const r = tsrunc(["run", "-b", bundle(["true"], (c) => {
      c.linux.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW", architectures: s.archs, flags: s.supportedFlags.filter((x: string) => x !== "SECCOMP_FILTER_FLAG_TSYNC"),
        syscalls: [
          ...actions.map((a: string, i: number) => ({ names: [spare[i]], action: a })),
          ...(s.operators as string[]).map((op: string, i: number) => ({ names: ["reboot"], action: "SCMP_ACT_ERRNO", args: [{ index: i % 4, value: 1, valueTwo: 1, op }] })),
        ],
      };
    }), newId("seccompclaims")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(actions.length).toBeLessThanOrEqual(spare.length);
  });

  test("every namespace claimed is created", () => {
    const f = features();
    const id = newId("nsclaims");
    const r = tsrunc(["run", "-b", bundle(["true"], (c) => {
      c.linux.namespaces = (f.linux.namespaces as string[]).map((type) => ({ type }));
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    }), id]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join("/run/tsrunc-test", id))).toBe(false);
  });
});
