// config-linux.md: sysctl, seccomp, rootfsPropagation, maskedPaths, readonlyPaths, mountLabel,
// personality and intelRdt.
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { defineCase, Ctx } from "../lib/case";
import { describe } from "../lib/runtime";
import { mountAt, mountinfo, MountEntry } from "../lib/host";
import { copyRootfs } from "../lib/bundle";

const show = (m: MountEntry | undefined) => (m ? `${m.fsType} ${m.options.join(",")} [${m.optional.join(" ")}]` : "no mount");

defineCase({
  name: "sysctl",
  spec: "config-linux.md",
  reqs: {
    "config-linux.sysctl.net": ["sysctl", "a net.* sysctl is set in the container's network namespace, not the host's"],
    "config-linux.sysctl.ipc": ["sysctl", "a kernel.* IPC sysctl is set in the container's IPC namespace, not the host's"],
  },
  async run(t) {
    const read = (f: string) => fs.readFileSync(f, "utf8").trim();
    const hostFwd = read("/proc/sys/net/ipv4/ip_forward"), hostShm = read("/proc/sys/kernel/shmmni");
    const fwd = hostFwd === "1" ? "0" : "1", shm = hostShm === "1234" ? "1235" : "1234";
    const out = await t.output((c) => {
      c.linux.sysctl = { "net.ipv4.ip_forward": fwd, "kernel.shmmni": shm };
      c.process.args = ["cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shmmni"];
    });
    const [f, s] = out.trim().split("\n");
    t.check("config-linux.sysctl.net", f === fwd && read("/proc/sys/net/ipv4/ip_forward") === hostFwd, `inside ${f}, host ${read("/proc/sys/net/ipv4/ip_forward")} (wanted ${fwd} inside, ${hostFwd} on the host)`);
    t.check("config-linux.sysctl.ipc", s === shm && read("/proc/sys/kernel/shmmni") === hostShm, `inside ${s}, host ${read("/proc/sys/kernel/shmmni")} (wanted ${shm} inside, ${hostShm} on the host)`);
  },
});

defineCase({
  name: "seccomp",
  spec: "config-linux.md",
  reqs: {
    "config-linux.seccomp.installed": ["seccomp", "the process runs under the configured seccomp filter (Seccomp: 2 in /proc/self/status)"],
    "config-linux.seccomp.errno": ["seccomp", "a syscall rule with SCMP_ACT_ERRNO fails that syscall with EPERM; defaultAction SCMP_ACT_ALLOW allows the others"],
    "config-linux.seccomp.errnoRet": ["seccomp", "errnoRet sets the errno an SCMP_ACT_ERRNO rule returns"],
  },
  skip: () => (fs.existsSync("/proc/sys/kernel/seccomp/actions_avail") ? undefined : "this kernel has no seccomp filter support"),
  async run(t) {
    const out = await t.output((c) => {
      c.linux.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        syscalls: [
          { names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO" },
          { names: ["chmod", "fchmodat"], action: "SCMP_ACT_ERRNO", errnoRet: 13 },
        ],
      };
      c.process.args = ["sh", "-c", "grep Seccomp: /proc/self/status; mkdir /tmp/a 2>&1; touch /tmp/b && echo touched; chmod 700 /tmp/b 2>&1; true"];
    });
    const lines = out.trim().split("\n");
    t.check("config-linux.seccomp.installed", /^Seccomp:\s+2$/.test(lines[0] ?? ""), `inside: ${lines[0]}`);
    t.check("config-linux.seccomp.errno", /Operation not permitted/.test(lines[1] ?? "") && lines[2] === "touched", `mkdir: ${lines[1]}; touch: ${lines[2]}`);
    t.check("config-linux.seccomp.errnoRet", /Permission denied/.test(lines[3] ?? ""), `chmod: ${lines[3]}`);
  },
});

/** how many mounts the host has at a path */
const hostMounts = (p: string) => mountinfo("self").filter((m) => m.mountPoint === p).length;

/**
 * A rootfs that is itself a shared mount on the host (only then can "slave" be told from
 * "private"): a fresh bind mount per container, unmounted (every layer) when it is done.
 */
function sharedRootfs(t: Ctx): { rootfs: string; mount: () => void; unmount: () => void } {
  const rootfs = copyRootfs(path.join(t.mkdir("shared-rootfs"), "rootfs"));
  const run = (cmd: string, args: string[]) => { const r = spawnSync(cmd, args, { encoding: "utf8" }); if (r.status !== 0) throw new Error(`host: ${cmd} ${args.join(" ")}: ${r.stderr}`); };
  const unmount = () => { for (let i = 0; i < 20 && hostMounts(rootfs) > 0; i++) spawnSync("umount", ["-l", rootfs]); };
  t.defer(unmount);
  return { rootfs, unmount, mount: () => { run("mount", ["--bind", rootfs, rootfs]); run("mount", ["--make-shared", rootfs]); } };
}

defineCase({
  name: "rootfs-propagation",
  spec: "config-linux.md",
  reqs: {
    "config-linux.rootfsPropagation.shared": ["rootfs-mount-propagation", "rootfsPropagation shared puts the container's root mount in a new peer group (not the host's)"],
    "config-linux.rootfsPropagation.slave": ["rootfs-mount-propagation", "rootfsPropagation slave makes the container's root mount receive the host's mount events (a slave of its peer group)"],
    "config-linux.rootfsPropagation.private": ["rootfs-mount-propagation", "rootfsPropagation private makes the container's root mount private"],
    "config-linux.rootfsPropagation.unbindable": ["rootfs-mount-propagation", "rootfsPropagation unbindable makes the container's root mount unbindable"],
  },
  async run(t) {
    // "shared: the rootfs mount belongs to a new peer group ... this does not mean that it's shared
    // with the host"; "slave: the rootfs mount receives propagation events from the host"
    let hostGroup = "";
    const expect: Record<string, (m: MountEntry) => boolean> = {
      shared: (m) => m.optional.some((o) => o.startsWith("shared:") && o !== `shared:${hostGroup}`),
      slave: (m) => m.optional.includes(`master:${hostGroup}`),
      private: (m) => !m.optional.some((o) => /^(shared|master):/.test(o)) && !m.optional.includes("unbindable"),
      unbindable: (m) => m.optional.includes("unbindable"),
    };
    const shared = sharedRootfs(t);
    for (const [mode, ok] of Object.entries(expect)) {
      const id = `config-linux.rootfsPropagation.${mode}`;
      shared.mount();
      hostGroup = mountinfo("self").filter((m) => m.mountPoint === shared.rootfs).pop()?.optional.find((o) => o.startsWith("shared:"))?.slice(7) ?? "?";
      await t.verify(id, async () => {
        const ct = await t.started((c) => { c.root = { path: shared.rootfs, readonly: true }; c.linux.rootfsPropagation = mode; }, { tag: `prop-${mode}` });
        const m = mountAt(ct.pid, "/");
        t.check(id, !!m && ok(m), `the container's / : ${show(m)}; the host's rootfs mount is in peer group ${hostGroup}`);
        await t.rt.delete(ct.id, true);
      });
      shared.unmount();
    }
  },
});

defineCase({
  name: "rootfs-shared-host-clean",
  spec: "runtime.md",
  reqs: {
    "runtime.delete.no-host-mounts": ["delete", "create and delete leave no mount on the host, even when the rootfs is a shared mount (for every rootfsPropagation)"],
  },
  async run(t) {
    const shared = sharedRootfs(t);
    const problems: string[] = [];
    for (const mode of [undefined, "shared", "slave", "private", "unbindable"]) {
      shared.mount();
      const id = t.newId("hostclean");
      const b = t.bundle((c) => { c.root = { path: shared.rootfs, readonly: true }; if (mode) c.linux.rootfsPropagation = mode; });
      const r = await t.rt.create(id, b);
      await t.rt.delete(id, true);
      const n = hostMounts(shared.rootfs);
      if (r.code !== 0 || n !== 1) problems.push(`rootfsPropagation ${mode ?? "unset"}: ${r.code !== 0 ? describe(r) + "; " : ""}${n} host mounts at the rootfs, 1 expected`);
      shared.unmount();
    }
    t.check("runtime.delete.no-host-mounts", problems.length === 0, problems.join("; "));
  },
});

defineCase({
  name: "masked-readonly-paths",
  spec: "config-linux.md",
  reqs: {
    "config-linux.maskedPaths.file": ["masked-paths", "a masked file (/proc/loadavg) cannot be read: it reads as empty"],
    "config-linux.maskedPaths.dir": ["masked-paths", "a masked directory (/sys/firmware) shows no content"],
    "config-linux.readonlyPaths.dir": ["readonly-paths", "a readonly directory (/proc/sys) is a read-only mount"],
    "config-linux.readonlyPaths.file": ["readonly-paths", "a readonly file (/proc/uptime) is a read-only mount"],
  },
  async run(t) {
    // files every kernel has: this one lacks /proc/kcore and /proc/sysrq-trigger of the default lists
    const ct = await t.started((c) => { c.linux.maskedPaths.push("/proc/loadavg"); c.linux.readonlyPaths.push("/proc/uptime"); });
    const root = `/proc/${ct.pid}/root`;
    await t.verify("config-linux.maskedPaths.file", () => {
      const len = fs.readFileSync(`${root}/proc/loadavg`).length;
      t.check("config-linux.maskedPaths.file", len === 0 && !!mountAt(ct.pid, "/proc/loadavg"), `read ${len} bytes of /proc/loadavg; ${show(mountAt(ct.pid, "/proc/loadavg"))}`);
    });
    await t.verify("config-linux.maskedPaths.dir", () => {
      const entries = fs.readdirSync(`${root}/sys/firmware`);
      t.check("config-linux.maskedPaths.dir", entries.length === 0 && fs.readdirSync("/sys/firmware").length > 0, `/sys/firmware inside: ${entries.join(" ")}`);
    });
    const sys = mountAt(ct.pid, "/proc/sys"), up = mountAt(ct.pid, "/proc/uptime");
    t.check("config-linux.readonlyPaths.dir", !!sys && sys.options.includes("ro"), `/proc/sys: ${show(sys)}`);
    t.check("config-linux.readonlyPaths.file", !!up && up.options.includes("ro") && fs.readFileSync(`${root}/proc/uptime`, "utf8").length > 0, `/proc/uptime: ${show(up)}`);
  },
});

defineCase({
  name: "mount-label",
  spec: "config-linux.md",
  reqs: { "config-linux.mountLabel": ["mount-label", "mountLabel is the SELinux context of the container's mounts"] },
  skip: (h) => (h.selinux ? undefined : "SELinux is not enabled on this host (no /sys/fs/selinux)"),
  async run(t) {
    const label = "system_u:object_r:container_file_t:s0:c1,c2";
    const ct = await t.started((c) => { c.linux.mountLabel = label; });
    const m = mountAt(ct.pid, "/dev/shm");
    t.check("config-linux.mountLabel", !!m && m.superOptions.some((o) => o.includes("context=") && o.includes("container_file_t")), `/dev/shm: ${show(m)} ${m?.superOptions.join(",")}`);
  },
});

defineCase({
  name: "personality",
  spec: "config-linux.md",
  reqs: { "config-linux.personality": ["personality", "personality domain LINUX32 makes uname report a 32-bit machine"] },
  skip: () => (process.arch === "x64" ? undefined : "the LINUX32 check is written for x86_64 hosts"),
  async run(t) {
    const out = await t.output((c) => { c.linux.personality = { domain: "LINUX32" }; c.process.args = ["uname", "-m"]; });
    t.eq("config-linux.personality", out.trim(), "i686", "uname -m");
  },
});

defineCase({
  name: "intel-rdt",
  spec: "config-linux.md",
  reqs: { "config-linux.intelRdt.closID": ["intelrdt", "intelRdt.closID (a pre-configured resctrl group) places the container in that group"] },
  skip: (h) => (h.resctrl ? undefined : "no resctrl filesystem (Intel RDT) on this host"),
  async run(t) {
    const clos = `tsrunc-conf-${process.pid}`;
    // "If closID is set, and neither of l3CacheSchema and memBwSchema are set, runtime MUST check if
    // corresponding pre-configured directory closID is present in mounted resctrl"
    fs.mkdirSync(`/sys/fs/resctrl/${clos}`);
    t.defer(() => { if (fs.existsSync(`/sys/fs/resctrl/${clos}`)) fs.rmdirSync(`/sys/fs/resctrl/${clos}`); });
    const ct = await t.started((c) => { c.linux.intelRdt = { closID: clos }; });
    const tasks = fs.readFileSync(`/sys/fs/resctrl/${clos}/tasks`, "utf8").split("\n");
    t.check("config-linux.intelRdt.closID", tasks.includes(String(ct.pid)), `tasks of ${clos}: ${tasks.join(" ")}`);
  },
});

defineCase({
  name: "intel-rdt-absent",
  spec: "config-linux.md",
  reqs: { "config-linux.intelRdt.no-resctrl": ["intelrdt", "intelRdt set without a mounted resctrl filesystem generates an error"] },
  skip: (h) => (h.resctrl ? "resctrl is mounted on this host: the error case cannot be shown" : undefined),
  async run(t) {
    const r = await t.rt.create(t.newId("rdt"), t.bundle((c) => { c.linux.intelRdt = { closID: "tsrunc-conf" }; }));
    t.check("config-linux.intelRdt.no-resctrl", r.code !== 0, "create with intelRdt succeeded on a host without resctrl");
  },
});
