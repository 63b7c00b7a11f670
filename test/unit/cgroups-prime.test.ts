import { describe, expect, test } from "bun:test";
import { primeCandidates, primeCgroupMovesNow } from "../../src/linux/cgroups/prime";
import { FakeSys } from "../fake-sys";

describe("priming the cgroup grace period (linux/cgroups/prime.ts)", () => {
  test("hybrid host: the cgroup2 mount first, then the first v1 controller", () => {
    const own = "9:name=systemd:/\n8:pids:/user.slice\n4:memory:/a/b\n0::/x/y\n";
    expect(primeCandidates(own)).toEqual([
      "/sys/fs/cgroup/unified/x/y/cgroup.procs",
      "/sys/fs/cgroup/x/y/cgroup.procs",
      "/sys/fs/cgroup/systemd/cgroup.procs",
    ]);
  });

  test("a cgroup2-only host at its root", () => {
    expect(primeCandidates("0::/\n")).toEqual(["/sys/fs/cgroup/unified/cgroup.procs", "/sys/fs/cgroup/cgroup.procs"]);
  });

  test("a v1-only host uses the controller's mount point", () => {
    expect(primeCandidates("3:cpu,cpuacct:/docker/abc\n")).toEqual(["/sys/fs/cgroup/cpu,cpuacct/docker/abc/cgroup.procs"]);
  });

  test("without bun:ffi, through Sys; nothing readable: no candidates, nothing written", () => {
    expect(primeCandidates("")).toEqual([]);
    const sys = new FakeSys();
    primeCgroupMovesNow(() => sys, () => { throw new Error("no bun:ffi"); });
    expect(sys.callsOf("writeInBackground")).toEqual([]);
  });
});
