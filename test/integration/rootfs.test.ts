import { test, expect, describe, afterEach } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { tsrunc, newId, bundle, runDetached, procFile, rootfsCopy, cleanup } from "./helpers";

afterEach(cleanup);

/** mountinfo of a process: mount point → { fstype, options } */
function mounts(pid: number): Map<string, { fstype: string; opts: string; superOpts: string }> {
  const m = new Map();
  for (const line of procFile(pid, "mountinfo").trim().split("\n")) {
    const [left, right] = line.split(" - ");
    const f = left.split(" ");
    const [fstype, , superOpts] = right.split(" ");
    m.set(f[4], { fstype, opts: f[5], superOpts });
  }
  return m;
}

describe("rootfs and mounts", () => {
  test("the spec's default mounts land with their types and options; the root is read-only", () => {
    const pid = runDetached(newId("mounts"), bundle(["sleep", "30"]));
    const m = mounts(pid);
    expect(m.get("/")!.opts.split(",")).toContain("ro");
    expect(m.get("/proc")!.fstype).toBe("proc");
    expect(m.get("/dev")!.fstype).toBe("tmpfs");
    expect(m.get("/dev")!.opts.split(",")).toContain("nosuid");
    expect(m.get("/dev/pts")!.fstype).toBe("devpts");
    expect(m.get("/dev/shm")!.fstype).toBe("tmpfs");
    expect(m.get("/dev/mqueue")!.fstype).toBe("mqueue");
    expect(m.get("/sys")!.fstype).toBe("sysfs");
    expect(m.get("/sys")!.opts.split(",")).toContain("ro");
    expect(m.get("/sys/fs/cgroup")).toBeDefined();
    // the host's root is not visible: pivot_root detached it
    const hostRootDev = procFile(process.pid, "mountinfo").split("\n").find((l) => l.split(" ")[4] === "/")!.split(" ")[2];
    expect([...m.values()].length).toBeLessThan(40);
    expect(procFile(pid, "mountinfo")).not.toContain(" /work ");
    expect(hostRootDev).toBeTruthy();
  });

  test("default devices and /dev symlinks exist; linux.devices are created with mode and owner", () => {
    const r = tsrunc(["run", "-b", bundle(["sh", "-c", "ls -ln /dev | sort; readlink /dev/fd; readlink /dev/ptmx; readlink /dev/stdin"], (c) => {
      c.linux.devices = [{ path: "/dev/fuse-test", type: "c", major: 10, minor: 229, fileMode: 0o600, uid: 7, gid: 8 }];
    }), newId("dev")]);
    expect(r.code).toBe(0);
    for (const [name, maj, min] of [["null", 1, 3], ["zero", 1, 5], ["full", 1, 7], ["random", 1, 8], ["urandom", 1, 9], ["tty", 5, 0]] as const) {
      expect(r.stdout).toMatch(new RegExp(`crw-rw-rw-\\s+1 0\\s+0\\s+${maj},\\s+${min} .* ${name}\\n`));
    }
    expect(r.stdout).toMatch(/crw-------\s+1 7\s+8\s+10,\s+229 .* fuse-test\n/);
    expect(r.stdout).toContain("/proc/self/fd\npts/ptmx\n/proc/self/fd/0\n");
  });

  test("masked paths hide, readonly paths refuse writes", () => {
    const r = tsrunc(["run", "-b", bundle(["sh", "-c", "wc -c < /proc/timer_list; ls /proc/acpi | wc -l; echo 1 > /proc/sys/kernel/ns_last_pid && echo wrote; exit 0"], (c) => {
      c.linux.maskedPaths = ["/proc/timer_list", "/proc/acpi", "/proc/does-not-exist"];
      c.linux.readonlyPaths = ["/proc/sys"];
    }), newId("mask")]);
    expect(r.stdout.split("\n").slice(0, 2)).toEqual(["0", "0"]);
    expect(r.stdout).not.toContain("wrote");
    expect(r.stderr).toMatch(/Read-only file system/);
  });

  test("bind mounts: read-only, relative source, file onto file", () => {
    const b = bundle(["sh", "-c", "cat /data/hello /etc/extra; touch /data/x 2>&1; exit 0"]);
    fs.mkdirSync(path.join(b, "data"));
    fs.writeFileSync(path.join(b, "data", "hello"), "hi\n");
    fs.writeFileSync(path.join(b, "extra"), "extra\n");
    const c = JSON.parse(fs.readFileSync(path.join(b, "config.json"), "utf8"));
    c.mounts.push({ destination: "/data", type: "bind", source: "data", options: ["rbind", "ro"] });
    c.mounts.push({ destination: "/etc/extra", type: "bind", source: path.join(b, "extra"), options: ["bind"] });
    c.root.readonly = false;
    c.root.path = rootfsCopy();
    fs.writeFileSync(path.join(b, "config.json"), JSON.stringify(c));
    const r = tsrunc(["run", "-b", b, newId("bind")]);
    expect(r.stdout).toContain("hi\nextra\n");
    expect(r.stdout + r.stderr).toContain("Read-only file system");
    expect(fs.existsSync(path.join(b, "data", "x"))).toBe(false);
  });

  test("CVE-2021-30465: a mount destination that is a symlink out of the rootfs stays inside", () => {
    const rootfs = rootfsCopy();
    const outside = fs.mkdtempSync("/tmp/tsrunc-test-outside-");
    try {
      fs.symlinkSync(outside, path.join(rootfs, "escape")); // absolute link to a host dir
      fs.symlinkSync("../../../../../../.." + outside, path.join(rootfs, "escape2"));
      const b = bundle(["sh", "-c", "touch /escape/in1 /escape2/in2; ls /escape /escape2"], (c) => {
        c.root = { path: rootfs, readonly: false };
        c.mounts.push({ destination: "/escape", type: "tmpfs", source: "tmpfs", options: ["nosuid"] });
        c.mounts.push({ destination: "/escape2", type: "tmpfs", source: "tmpfs", options: ["nosuid"] });
      });
      const r = tsrunc(["run", "-b", b, newId("cve")]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      // nothing was mounted on or written to the host directory
      expect(fs.readdirSync(outside)).toEqual([]);
      expect(procFile(process.pid, "mountinfo")).not.toContain(outside);
      // the link was resolved inside the rootfs: the tmpfs sits at <rootfs>/<outside>
      expect(fs.existsSync(path.join(rootfs, outside))).toBe(true);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  test("--no-pivot runs with the rootfs moved over / and chroot", () => {
    const r = tsrunc(["run", "--no-pivot", "-b", bundle(["sh", "-c", "cat /proc/self/mountinfo | wc -l; echo ok"]), newId("nopivot")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ok\n");
  });

  test("rootfsPropagation shared is applied to /", () => {
    const pid = runDetached(newId("prop"), bundle(["sleep", "30"], (c) => { c.linux.rootfsPropagation = "shared"; }));
    const root = procFile(pid, "mountinfo").split("\n").find((l) => l.split(" ")[4] === "/")!;
    expect(root).toMatch(/ shared:\d+/);
  });
});

test("idmapped bind mounts: an id on disk (containerID) is presented as hostID through the mount", () => {
  const src = fs.mkdtempSync("/tmp/tsrunc-test-idmap-");
  try {
    fs.writeFileSync(path.join(src, "f"), "x");
    fs.chmodSync(src, 0o755); // files owned by 0 on disk
    const r = tsrunc(["run", "-b", bundle(["sh", "-c", "ls -ln /idmapped /plain; grep ' /idmapped ' /proc/self/mountinfo"], (c) => {
      c.root = { path: rootfsCopy(), readonly: true }; // /idmapped and /plain are made in the rootfs
      c.mounts.push({ destination: "/idmapped", type: "bind", source: src, options: ["rbind"], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] });
      c.mounts.push({ destination: "/plain", type: "bind", source: src, options: ["rbind"] });
    }), newId("idmap")]);
    expect(r.stderr).toBe("");
    const [idm, plain] = r.stdout.split("/plain:");
    expect(idm).toMatch(/-rw\S*\s+1 1000\s+1000\s+1 .* f/);
    expect(plain).toMatch(/-rw\S*\s+1 0\s+0\s+1 .* f/);
    expect(plain).toMatch(/ \/idmapped \S*idmapped/); // mountinfo marks the mount as idmapped
  } finally {
    fs.rmSync(src, { recursive: true, force: true });
  }
});
