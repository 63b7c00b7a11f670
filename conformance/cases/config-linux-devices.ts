// config-linux.md: default devices, /dev symlinks, linux.devices and the device cgroup
// (linux.resources.devices). Device nodes are inspected from the host through /proc/<pid>/root.
import * as fs from "node:fs";
import { defineCase } from "../lib/case";
import { cgroupFile } from "../lib/host";

const major = (rdev: number) => Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
const minor = (rdev: number) => Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn);

function describeNode(p: string): string {
  try {
    const s = fs.lstatSync(p);
    const kind = s.isCharacterDevice() ? "c" : s.isBlockDevice() ? "b" : s.isFIFO() ? "p" : s.isSymbolicLink() ? `symlink to ${fs.readlinkSync(p)}` : s.isFile() ? "file" : "other";
    return `${kind} ${major(s.rdev)}:${minor(s.rdev)} mode ${(s.mode & 0o7777).toString(8)} owner ${s.uid}:${s.gid}`;
  } catch (e) { return (e as NodeJS.ErrnoException).code ?? String(e); }
}

const DEFAULTS: [string, number, number][] = [["null", 1, 3], ["zero", 1, 5], ["full", 1, 7], ["random", 1, 8], ["urandom", 1, 9], ["tty", 5, 0]];

defineCase({
  name: "devices-default",
  spec: "config-linux.md",
  reqs: {
    ...Object.fromEntries(DEFAULTS.map(([n, ma, mi]) => [`config-linux.devices.default.${n}`, ["default-devices", `the runtime supplies /dev/${n} (character device ${ma}:${mi})`]])) as Record<string, [string, string]>,
    "config-linux.devices.default.ptmx": ["default-devices", "/dev/ptmx is a symlink to or bind mount of the container's /dev/pts/ptmx"],
    "config-linux.dev-symlinks": ["dev-symlinks", "/dev/fd, /dev/stdin, /dev/stdout and /dev/stderr link to /proc/self/fd, fd/0, fd/1 and fd/2"],
    "config-linux.devices.default.usable": ["default-devices", "the default devices are usable under a deny-all device cgroup policy"],
  },
  async run(t) {
    const ct = await t.started();
    const dev = `/proc/${ct.pid}/root/dev`;
    for (const [n, ma, mi] of DEFAULTS) {
      const id = `config-linux.devices.default.${n}`;
      await t.verify(id, () => {
        const s = fs.statSync(`${dev}/${n}`);
        t.check(id, s.isCharacterDevice() && major(s.rdev) === ma && minor(s.rdev) === mi, `/dev/${n}: ${describeNode(`${dev}/${n}`)}`);
      });
    }
    await t.verify("config-linux.devices.default.ptmx", () => {
      const l = fs.lstatSync(`${dev}/ptmx`);
      const linked = l.isSymbolicLink() && ["pts/ptmx", "/dev/pts/ptmx"].includes(fs.readlinkSync(`${dev}/ptmx`));
      const a = fs.statSync(`${dev}/ptmx`), b = fs.statSync(`${dev}/pts/ptmx`);
      t.check("config-linux.devices.default.ptmx", linked || (a.ino === b.ino && a.dev === b.dev), `/dev/ptmx: ${describeNode(`${dev}/ptmx`)}`);
    });
    const links = Object.fromEntries(["fd", "stdin", "stdout", "stderr"].map((n) => [n, (() => { try { return fs.readlinkSync(`${dev}/${n}`); } catch (e) { return (e as NodeJS.ErrnoException).code; } })()]));
    t.eq("config-linux.dev-symlinks", links, { fd: "/proc/self/fd", stdin: "/proc/self/fd/0", stdout: "/proc/self/fd/1", stderr: "/proc/self/fd/2" }, "symlinks");
    await t.verify("config-linux.devices.default.usable", async () => {
      const out = await t.output((c) => {
        c.process.args = ["sh", "-c", "echo x > /dev/null && head -c 3 /dev/zero | wc -c && head -c 3 /dev/urandom | wc -c && echo done"];
      });
      t.eq("config-linux.devices.default.usable", out.split(/\s+/).filter(Boolean), ["3", "3", "done"], "writes to /dev/null, reads of /dev/zero and /dev/urandom");
    });
  },
});

defineCase({
  name: "devices-linux",
  spec: "config-linux.md",
  reqs: {
    "config-linux.devices.char": ["devices", "a linux.devices entry of type c is a character device with its major and minor"],
    "config-linux.devices.block": ["devices", "a linux.devices entry of type b is a block device with its major and minor"],
    "config-linux.devices.fifo": ["devices", "a linux.devices entry of type p is a FIFO"],
    "config-linux.devices.fileMode": ["devices", "a device's fileMode is its file mode"],
    "config-linux.devices.uid-gid": ["devices", "a device's uid and gid are its owner in the container"],
    "config-linux.devices.existing-mismatch": ["devices", "a file at a device's path that does not match the device generates an error"],
  },
  async run(t) {
    const ct = await t.started((c) => {
      c.linux.devices = [
        { path: "/dev/tsrunc-c", type: "c", major: 10, minor: 229, fileMode: 0o640, uid: 1000, gid: 1001 },
        { path: "/dev/tsrunc-b", type: "b", major: 7, minor: 0, fileMode: 0o600, uid: 0, gid: 0 },
        { path: "/dev/tsrunc-p", type: "p", fileMode: 0o644 },
      ];
    });
    const dev = `/proc/${ct.pid}/root/dev`;
    const st = (n: string) => { try { return fs.statSync(`${dev}/${n}`); } catch { return undefined; } };
    const c = st("tsrunc-c"), b = st("tsrunc-b"), p = st("tsrunc-p");
    t.check("config-linux.devices.char", !!c?.isCharacterDevice() && major(c.rdev) === 10 && minor(c.rdev) === 229, describeNode(`${dev}/tsrunc-c`));
    t.check("config-linux.devices.block", !!b?.isBlockDevice() && major(b.rdev) === 7 && minor(b.rdev) === 0, describeNode(`${dev}/tsrunc-b`));
    t.check("config-linux.devices.fifo", !!p?.isFIFO(), describeNode(`${dev}/tsrunc-p`));
    t.check("config-linux.devices.fileMode", !!c && (c.mode & 0o777) === 0o640 && !!b && (b.mode & 0o777) === 0o600, `${describeNode(`${dev}/tsrunc-c`)}; ${describeNode(`${dev}/tsrunc-b`)}`);
    t.check("config-linux.devices.uid-gid", c?.uid === 1000 && c?.gid === 1001, describeNode(`${dev}/tsrunc-c`));
    // a regular file where the device should be, in a private rootfs copy (a runtime might replace it)
    await t.verify("config-linux.devices.existing-mismatch", async () => {
      let rootfs = "";
      const b = t.bundle((c) => { c.linux.devices = [{ path: "/etc/tsrunc-conf-dev", type: "c", major: 1, minor: 3, fileMode: 0o666 }]; }, {
        writableRootfs: (r) => { rootfs = r; fs.writeFileSync(`${r}/etc/tsrunc-conf-dev`, "a regular file\n"); },
      });
      const r = await t.rt.create(t.newId("devx"), b);
      t.check("config-linux.devices.existing-mismatch", r.code !== 0, `create succeeded; the file is now ${describeNode(`${rootfs}/etc/tsrunc-conf-dev`)}`);
    });
  },
});

defineCase({
  name: "devices-cgroup",
  spec: "config-linux.md",
  reqs: {
    "config-linux.resources.devices.allow": ["allowed-device-list", "an allow rule lets the container open the device (and is in the device cgroup)"],
    "config-linux.resources.devices.deny": ["allowed-device-list", "a device not allowed by the rules cannot be opened, even when its node exists"],
  },
  skip: (h) => (h.v1.devices ? undefined : "no devices cgroup v1 controller on this host"),
  async run(t) {
    // a subshell: a failed redirection of the exec special builtin would end the shell itself;
    // "; true" keeps sh as the process (ash execs a last simple command), whose argv started() waits for
    const probe = "(exec 3<>/dev/tsrunc-fuse) 2>/dev/null && echo opened || echo denied; sleep 600; true";
    const node = { path: "/dev/tsrunc-fuse", type: "c", major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 };
    const allowed = await t.started((c) => {
      c.linux.devices = [node];
      c.linux.resources.devices.push({ allow: true, type: "c", major: 10, minor: 229, access: "rw" });
      c.process.args = ["sh", "-c", probe];
    });
    await t.waitFor(() => t.containerOutput(allowed).includes("\n"), "the probe's output").catch(() => {});
    const list = (() => { try { return cgroupFile(allowed.pid, "devices", "devices.list"); } catch (e) { return (e as Error).message; } })();
    t.check("config-linux.resources.devices.allow", t.containerOutput(allowed).startsWith("opened") && list.split("\n").includes("c 10:229 rw"),
      `probe: ${t.containerOutput(allowed).trim()}; devices.list: ${list.replace(/\n/g, ", ")}`);
    const denied = await t.started((c) => { c.linux.devices = [node]; c.process.args = ["sh", "-c", probe]; });
    await t.waitFor(() => t.containerOutput(denied).includes("\n"), "the probe's output").catch(() => {});
    t.check("config-linux.resources.devices.deny", t.containerOutput(denied).startsWith("denied"), `probe: ${t.containerOutput(denied).trim()}`);
  },
});
