// config.md: the specification version, root and mounts. Mount destinations sit under the
// container's /tmp tmpfs so a runtime that creates mount points never writes into the shared rootfs.
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { defineCase, Ctx } from "../lib/case";
import { mountinfo, mountAt, MountEntry } from "../lib/host";

const opts = (m: MountEntry | undefined) => (m ? `${m.fsType} ${m.options.join(",")} ${m.superOptions.join(",")} ${m.optional.join(" ")}` : "no mount");

/** a host directory with a file, and a tmpfs submount holding another file; unmounted at cleanup */
function treeWithSubmount(t: Ctx): string {
  const d = t.mkdir("tree");
  fs.writeFileSync(path.join(d, "top"), "top\n");
  fs.mkdirSync(path.join(d, "sub"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tsrunc-conf-sub", path.join(d, "sub")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`host: mount tmpfs: ${r.stderr}`);
  t.defer(() => spawnSync("umount", ["-l", path.join(d, "sub")]));
  fs.writeFileSync(path.join(d, "sub", "inner"), "inner\n");
  return d;
}

defineCase({
  name: "config-version",
  spec: "config.md",
  reqs: {
    "config.ociVersion.1.3": ["specification-version", "a bundle declaring ociVersion 1.3.0 is accepted (compatibility within major versions)"],
  },
  async run(t) {
    const out = await t.output((c) => { c.ociVersion = "1.3.0"; c.process.args = ["echo", "ran"]; });
    t.eq("config.ociVersion.1.3", out, "ran\n", "output");
  },
});

defineCase({
  name: "config-root",
  spec: "config.md",
  reqs: {
    "config.root.path": ["root", "root.path (absolute) is the container's root filesystem"],
    "config.root.path-relative": ["root", "a relative root.path is resolved against the bundle directory"],
    "config.root.readonly": ["root", "root.readonly true: the root filesystem is read-only inside the container"],
    "config.root.readonly-false": ["root", "root.readonly false: the root filesystem is writable inside the container"],
  },
  async run(t) {
    const plant = (r: string) => fs.writeFileSync(path.join(r, "marker"), "this rootfs\n");
    await t.verify("config.root.path", async () => {
      t.eq("config.root.path", await t.output((c) => { c.process.args = ["cat", "/marker"]; }, { writableRootfs: plant }), "this rootfs\n", "/marker");
    });
    await t.verify("config.root.path-relative", async () => {
      const out = await t.output((c) => { c.root.path = "rootfs"; c.process.args = ["cat", "/marker"]; }, { writableRootfs: plant });
      t.eq("config.root.path-relative", out, "this rootfs\n", "/marker");
    });
    await t.verify("config.root.readonly", async () => {
      const out = await t.output((c) => { c.process.args = ["sh", "-c", "touch /probe 2>/dev/null && echo writable || echo read-only"]; });
      t.eq("config.root.readonly", out, "read-only\n", "touch /probe");
    });
    await t.verify("config.root.readonly-false", async () => {
      let rootfs = "";
      const out = await t.output((c) => { c.process.args = ["sh", "-c", "echo hi > /probe && cat /probe"]; }, { writableRootfs: (r) => { rootfs = r; } });
      t.check("config.root.readonly-false", out === "hi\n" && fs.readFileSync(path.join(rootfs, "probe"), "utf8") === "hi\n", `output ${JSON.stringify(out)}`);
    });
  },
});

defineCase({
  name: "config-mounts-tmpfs",
  spec: "config.md",
  reqs: {
    "config.mounts.order": ["mounts", "the runtime mounts entries in the listed order (the later of two mounts on one destination is on top)"],
    "config.mounts.options.flags": ["mounts", "the mount flags nosuid, nodev and noexec are applied"],
    "config.mounts.options.ro": ["mounts", "the ro option makes the mount read-only"],
    "config.mounts.options.data": ["mounts", "filesystem-specific options (tmpfs size=, mode=) are passed to the filesystem"],
    "config.mounts.options.atime": ["mounts", "the atime options noatime and strictatime are applied"],
    "config.mounts.options.propagation": ["mounts", "the propagation options rshared and runbindable are applied to the mount"],
  },
  async run(t) {
    const tmpfs = (destination: string, options: string[]) => ({ destination, type: "tmpfs", source: "tmpfs", options });
    const ct = await t.started((c) => {
      c.mounts.push(
        tmpfs("/tmp/order", ["size=1m"]), tmpfs("/tmp/order", ["size=2m"]),
        tmpfs("/tmp/flags", ["nosuid", "nodev", "noexec"]),
        tmpfs("/tmp/ro", ["ro"]),
        tmpfs("/tmp/data", ["size=3m", "mode=750"]),
        tmpfs("/tmp/noatime", ["noatime"]), tmpfs("/tmp/strictatime", ["strictatime"]),
        tmpfs("/tmp/shared", ["rshared"]), tmpfs("/tmp/unbindable", ["runbindable"]),
      );
    });
    const mi = mountinfo(ct.pid);
    const at = (p: string) => mi.filter((m) => m.mountPoint === p);
    const order = at("/tmp/order");
    t.check("config.mounts.order", order.length === 2 && order[0].superOptions.includes("size=1024k") && order[1].superOptions.includes("size=2048k"),
      `mounts at /tmp/order, bottom to top: ${order.map(opts).join(" / ")}`);
    const f = at("/tmp/flags").pop();
    t.check("config.mounts.options.flags", !!f && ["nosuid", "nodev", "noexec"].every((o) => f.options.includes(o)), opts(f));
    const ro = at("/tmp/ro").pop();
    t.check("config.mounts.options.ro", !!ro && ro.options.includes("ro"), opts(ro));
    const d = at("/tmp/data").pop();
    t.check("config.mounts.options.data", !!d && d.superOptions.includes("size=3072k") && d.superOptions.includes("mode=750"), opts(d));
    const na = at("/tmp/noatime").pop(), sa = at("/tmp/strictatime").pop();
    t.check("config.mounts.options.atime", !!na && na.options.includes("noatime") && !!sa && !sa.options.some((o) => o === "noatime" || o === "relatime"),
      `noatime: ${opts(na)}; strictatime: ${opts(sa)}`);
    const sh = at("/tmp/shared").pop(), ub = at("/tmp/unbindable").pop();
    t.check("config.mounts.options.propagation", !!sh && sh.optional.some((o) => o.startsWith("shared:")) && !!ub && ub.optional.includes("unbindable"),
      `rshared: ${opts(sh)}; runbindable: ${opts(ub)}`);
  },
});

// its own container: a runtime that does not know an option must not fail the other options' checks
defineCase({
  name: "config-mounts-nosymfollow",
  spec: "config.md",
  reqs: {
    "config.mounts.options.nosymfollow": ["mounts", "the nosymfollow option is applied"],
  },
  async run(t) {
    const ct = await t.started((c) => { c.mounts.push({ destination: "/tmp/nosymfollow", type: "tmpfs", source: "tmpfs", options: ["nosymfollow"] }); });
    const m = mountAt(ct.pid, "/tmp/nosymfollow");
    t.check("config.mounts.options.nosymfollow", !!m && m.options.includes("nosymfollow"), opts(m));
  },
});

defineCase({
  name: "config-mounts-bind",
  spec: "config.md",
  reqs: {
    "config.mounts.bind.dir": ["mounts", "a bind mount shows the source directory's content at the destination"],
    "config.mounts.bind.ro": ["mounts", "a bind mount with ro is read-only"],
    "config.mounts.bind.file": ["mounts", "a bind mount of a file shows that file at the destination"],
    "config.mounts.bind.relative-source": ["mounts", "a relative bind source is resolved against the bundle directory"],
    "config.mounts.bind.rbind": ["mounts", "rbind also binds the source's submounts"],
    "config.mounts.bind.nonrecursive": ["mounts", "bind (not rbind) does not bind the source's submounts"],
    "config.mounts.options.rro": ["mounts", "rro makes the bind mount and its submounts read-only"],
  },
  async run(t) {
    const tree = treeWithSubmount(t);
    const file = path.join(t.mkdir("file"), "f");
    fs.writeFileSync(file, "a file\n");
    const ct = await t.started((c) => {
      c.mounts.push(
        { destination: "/tmp/dir", type: "bind", source: tree, options: ["bind"] },
        { destination: "/tmp/dir-ro", type: "bind", source: tree, options: ["bind", "ro"] },
        { destination: "/tmp/file", type: "bind", source: file, options: ["bind"] },
        { destination: "/tmp/rbind", type: "none", source: tree, options: ["rbind"] },
        { destination: "/tmp/rro", type: "bind", source: tree, options: ["rbind", "rro"] },
      );
    });
    const root = `/proc/${ct.pid}/root`;
    const read = (p: string) => { try { return fs.readFileSync(root + p, "utf8"); } catch (e) { return `(${(e as NodeJS.ErrnoException).code})`; } };
    t.eq("config.mounts.bind.dir", read("/tmp/dir/top"), "top\n", "/tmp/dir/top");
    const ro = mountAt(ct.pid, "/tmp/dir-ro");
    t.check("config.mounts.bind.ro", !!ro && ro.options.includes("ro") && read("/tmp/dir-ro/top") === "top\n", opts(ro));
    t.eq("config.mounts.bind.file", read("/tmp/file"), "a file\n", "/tmp/file");
    t.eq("config.mounts.bind.rbind", read("/tmp/rbind/sub/inner"), "inner\n", "/tmp/rbind/sub/inner");
    t.check("config.mounts.bind.nonrecursive", read("/tmp/dir/sub/inner") === "(ENOENT)" && !mountAt(ct.pid, "/tmp/dir/sub"), `/tmp/dir/sub/inner: ${read("/tmp/dir/sub/inner")}`);
    const rro = [mountAt(ct.pid, "/tmp/rro"), mountAt(ct.pid, "/tmp/rro/sub")];
    t.check("config.mounts.options.rro", rro.every((m) => m?.options.includes("ro")), rro.map(opts).join(" / "));
    // a second container: its bundle has a data directory
    await t.verify("config.mounts.bind.relative-source", async () => {
      const b = t.bundle((c) => {
        c.mounts.push({ destination: "/tmp/rel", type: "bind", source: "data", options: ["bind"] });
        c.process.args = ["cat", "/tmp/rel/x"];
      });
      fs.mkdirSync(path.join(b, "data"));
      fs.writeFileSync(path.join(b, "data", "x"), "bundle data\n");
      const r = await t.rt.run(t.newId("rel"), b);
      t.eq("config.mounts.bind.relative-source", r.stdout, "bundle data\n", `output (exit ${r.code}, ${r.stderr.trim()})`);
    });
  },
});

defineCase({
  name: "config-mounts-types",
  spec: "config.md",
  reqs: {
    "config.mounts.type.proc": ["mounts", "a proc mount at /proc shows the container's pid namespace"],
    "config.mounts.type.sysfs": ["mounts", "a sysfs mount with ro is a read-only sysfs"],
    "config.mounts.type.devpts": ["mounts", "a devpts mount gets its options (newinstance, ptmxmode, mode, gid)"],
    "config.mounts.type.mqueue": ["mounts", "an mqueue mount is an mqueue filesystem with its flags"],
    "config.mounts.type.cgroup": ["mounts", "a cgroup mount shows the container's cgroup hierarchies, read-only as configured"],
  },
  async run(t) {
    const ct = await t.started();
    const root = `/proc/${ct.pid}/root`;
    await t.verify("config.mounts.type.proc", () => {
      const p = mountAt(ct.pid, "/proc");
      t.check("config.mounts.type.proc", p?.fsType === "proc" && fs.readFileSync(`${root}/proc/1/cmdline`, "utf8") === "sleep\0" + "600\0",
        `${opts(p)}; /proc/1/cmdline inside: ${JSON.stringify(fs.readFileSync(`${root}/proc/1/cmdline`, "utf8"))}`);
    });
    const s = mountAt(ct.pid, "/sys");
    t.check("config.mounts.type.sysfs", s?.fsType === "sysfs" && s.options.includes("ro") && ["nosuid", "nodev", "noexec"].every((o) => s.options.includes(o)), opts(s));
    const d = mountAt(ct.pid, "/dev/pts");
    t.check("config.mounts.type.devpts", d?.fsType === "devpts" && ["ptmxmode=666", "mode=620", "gid=5"].every((o) => d.superOptions.includes(o)), opts(d));
    const q = mountAt(ct.pid, "/dev/mqueue");
    t.check("config.mounts.type.mqueue", q?.fsType === "mqueue" && ["nosuid", "nodev", "noexec"].every((o) => q.options.includes(o)), opts(q));
    await t.verify("config.mounts.type.cgroup", () => {
      const cg = mountinfo(ct.pid).filter((m) => m.mountPoint === "/sys/fs/cgroup" || m.mountPoint.startsWith("/sys/fs/cgroup/"));
      const visible = fs.existsSync(`${root}/sys/fs/cgroup/memory/memory.limit_in_bytes`) || fs.existsSync(`${root}/sys/fs/cgroup/cgroup.controllers`);
      const hier = cg.filter((m) => m.fsType === "cgroup" || m.fsType === "cgroup2");
      t.check("config.mounts.type.cgroup", visible && hier.length > 0 && hier.every((m) => m.options.includes("ro")), cg.map((m) => `${m.mountPoint}: ${opts(m)}`).join("; ") || "no mounts");
    });
  },
});
