// Host facts for validation (container/host.ts) and the fields refused as not yet supported
// (container/unsupported.ts): same answers as probing each file, with less probing.
import { describe, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { hostFacts, kernelNamespaces } from "../../src/container/host";
import { unsupportedFields } from "../../src/container/unsupported";
import { checks, type HostFacts } from "../../src/spec/validate";
import type { Spec } from "../../src/spec/types";
import { NS_PROC_NAME } from "../../src/linux/namespaces";

describe("hostFacts", () => {
  test("kernelNamespaces maps /proc/self/ns entries to spec types, ignoring the *_for_children files", () => {
    expect([...kernelNamespaces(["net", "mnt", "pid_for_children", "time_for_children", "uts"])].sort()).toEqual(["mount", "network", "uts"]);
    expect(kernelNamespaces([]).size).toBe(0);
  });

  test("the namespace set is what one stat per type would find", () => {
    const stat = Object.entries(NS_PROC_NAME).filter(([, n]) => existsSync(`/proc/self/ns/${n}`)).map(([t]) => t);
    expect([...hostFacts().namespaces].sort() as string[]).toEqual(stat.sort());
  });

  test("the lazily probed facts match the files, and read twice give the same answer", () => {
    const f = hostFacts();
    expect(f.cgroupV2).toBe(existsSync("/sys/fs/cgroup/cgroup.controllers"));
    expect(f.cgroupV2).toBe(existsSync("/sys/fs/cgroup/cgroup.controllers"));
    expect(f.selinux).toBe(existsSync("/sys/fs/selinux/enforce"));
    expect(f.rootless).toBe(process.geteuid?.() !== 0);
  });

  test("isHostNetns: our own network namespace file, not another or a missing path", () => {
    const f = hostFacts();
    expect(f.isHostNetns!("/proc/self/ns/net")).toBe(true);
    expect(f.isHostNetns!("/proc/self/ns/mnt")).toBe(statSync("/proc/self/ns/mnt").ino === statSync("/proc/self/ns/net").ino);
    expect(f.isHostNetns!("/nonexistent/netns")).toBe(false);
  });

  test("the checks read the probed facts only for configs that need them", () => {
    const reads: string[] = [];
    const host: HostFacts = {
      namespaces: new Set(["mount"]),
      get cgroupV2() { reads.push("cgroupV2"); return true; },
      get selinux() { reads.push("selinux"); return false; },
    };
    const plain = { ociVersion: "1.3.0", process: { cwd: "/", args: ["sh"] }, linux: { resources: { memory: { limit: 1024 } } } } as unknown as Spec;
    checks.cgroups!(plain, host);
    checks.selinux!(plain, host);
    expect(reads).toEqual([]);
    const needs = { ...plain, process: { ...plain.process, selinuxLabel: "x" }, linux: { resources: { memory: { limit: 1024, swap: 512 } } } } as unknown as Spec;
    expect(checks.cgroups!(needs, host).map((p) => p.pointer)).toEqual(["/linux/resources/memory/swap"]);
    expect(checks.selinux!(needs, host).map((p) => p.pointer)).toEqual(["/process/selinuxLabel"]);
    expect(reads).toEqual(["cgroupV2", "selinux"]);
  });
});

describe("unsupportedFields", () => {
  const base = { ociVersion: "1.3.0", process: { cwd: "/", args: ["sh"] } } as unknown as Spec;

  test("a config without the fields is fine", () => {
    expect(unsupportedFields(base)).toEqual([]);
  });

  test("each LSM field is refused where the host lacks the LSM (more in lsm.test.ts)", () => {
    const spec = { ...base, process: { ...base.process, apparmorProfile: "p", selinuxLabel: "l" }, linux: { mountLabel: "m" } } as unknown as Spec;
    const out = unsupportedFields(spec, "/nonexistent/lsm");
    expect(out.map((l) => l.slice(0, l.indexOf(":")))).toEqual(["/process/apparmorProfile", "/process/selinuxLabel", "/linux/mountLabel"]);
    expect(out[0]).toBe("/process/apparmorProfile: AppArmor profiles need the AppArmor LSM, which is not enabled on this host");
    expect(out[2]).toBe("/linux/mountLabel: SELinux mount labels need the SELinux LSM, which is not enabled on this host");
  });

  test("intelRdt is refused only where resctrl is not mounted", () => {
    const spec = { ...base, linux: { intelRdt: { closID: "c" } } } as unknown as Spec;
    const expected = existsSync("/sys/fs/resctrl/info") ? [] : ["/linux/intelRdt: linux.intelRdt is not supported on this host (resctrl is not mounted at /sys/fs/resctrl)"];
    expect(unsupportedFields(spec)).toEqual(expected);
  });
});
