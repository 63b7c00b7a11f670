// config.md: process (user, args, env, cwd, rlimits, capabilities, noNewPrivileges, oomScoreAdj,
// LSM labels), hostname and domainname. Checked from the host in /proc/<pid>/ of the running
// program, after it has exec'd (runc's start returns before the exec).
import * as fs from "node:fs";
import * as path from "node:path";
import { defineCase } from "../lib/case";
import { statusField, capNames, limits, procFile } from "../lib/host";

defineCase({
  name: "process-user",
  spec: "config.md",
  reqs: {
    "config.process.user.uid": ["user", "the process runs with user.uid (real, effective, saved and fs uid)"],
    "config.process.user.gid": ["user", "the process runs with user.gid (real, effective, saved and fs gid)"],
    "config.process.user.additionalGids": ["user", "the process's supplementary groups are additionalGids"],
    "config.process.user.umask": ["user", "the process's umask is user.umask"],
  },
  async run(t) {
    const ct = await t.started((c) => { c.process.user = { uid: 1000, gid: 1001, additionalGids: [1002, 1003], umask: 0o027 }; });
    t.eq("config.process.user.uid", statusField(ct.pid, "Uid").split(/\s+/), ["1000", "1000", "1000", "1000"], "Uid");
    t.eq("config.process.user.gid", statusField(ct.pid, "Gid").split(/\s+/), ["1001", "1001", "1001", "1001"], "Gid");
    t.eq("config.process.user.additionalGids", statusField(ct.pid, "Groups").split(/\s+/).filter(Boolean).sort(), ["1002", "1003"], "Groups");
    t.eq("config.process.user.umask", statusField(ct.pid, "Umask"), "0027", "Umask");
  },
});

defineCase({
  name: "process-args-env-cwd",
  spec: "config.md",
  reqs: {
    "config.process.args": ["process", "the process runs args, with args as its argv"],
    "config.process.env": ["process", "every env entry is set in the process's environment"],
    "config.process.cwd": ["process", "the process's working directory is cwd"],
  },
  async run(t) {
    const env = ["PATH=/bin:/usr/bin", "TSRUNC_CONF_A=one two", "TSRUNC_CONF_EMPTY=", "HOME=/root"];
    const ct = await t.started((c) => { c.process.args = ["sleep", "599"]; c.process.env = env; c.process.cwd = "/etc"; });
    t.eq("config.process.args", procFile(ct.pid, "cmdline").split("\0").slice(0, -1), ["sleep", "599"], "argv");
    const got = procFile(ct.pid, "environ").split("\0").filter(Boolean);
    const missing = env.filter((e) => !got.includes(e));
    t.check("config.process.env", missing.length === 0, `missing ${JSON.stringify(missing)} from ${JSON.stringify(got)}`);
    await t.verify("config.process.cwd", () => {
      const a = fs.statSync(`/proc/${ct.pid}/cwd`), b = fs.statSync(`/proc/${ct.pid}/root/etc`);
      t.check("config.process.cwd", a.ino === b.ino && a.dev === b.dev, `cwd is inode ${a.dev}:${a.ino}, the container's /etc is ${b.dev}:${b.ino}`);
    });
  },
});

defineCase({
  name: "process-args-path",
  spec: "config.md",
  reqs: {
    "config.process.args.path-lookup": ["process", "a relative args[0] is looked up in the PATH of the process's env, inside the rootfs"],
  },
  async run(t) {
    const out = await t.output((c) => { c.process.args = ["tsrunc-conf-prog", "x"]; c.process.env = ["PATH=/opt/tsrunc/bin:/bin"]; }, {
      writableRootfs: (r) => {
        fs.mkdirSync(path.join(r, "opt/tsrunc/bin"), { recursive: true });
        fs.writeFileSync(path.join(r, "opt/tsrunc/bin/tsrunc-conf-prog"), "#!/bin/sh\necho found $1\n", { mode: 0o755 });
      },
    });
    t.eq("config.process.args.path-lookup", out, "found x\n", "output");
  },
});

defineCase({
  name: "process-rlimits",
  spec: "config.md",
  reqs: {
    "config.process.rlimits.soft": ["posix-process", "for each rlimit, getrlimit's rlim_cur is the configured soft value"],
    "config.process.rlimits.hard": ["posix-process", "for each rlimit, getrlimit's rlim_max is the configured hard value"],
    "config.process.rlimits.duplicate": ["posix-process", "duplicated rlimits entries of the same type generate an error"],
    "config.process.rlimits.unknown": ["posix-process", "an rlimit type that maps to no kernel resource generates an error"],
  },
  async run(t) {
    // lower than the host's hard limits: raising a hard limit needs CAP_SYS_RESOURCE, absent here
    const ct = await t.started((c) => {
      c.process.rlimits = [
        { type: "RLIMIT_NOFILE", soft: 512, hard: 1000 },
        { type: "RLIMIT_NPROC", soft: 1234, hard: 2345 },
        { type: "RLIMIT_MSGQUEUE", soft: 4096, hard: 8192 },
      ];
    });
    const l = limits(ct.pid);
    const got = [l["Max open files"], l["Max processes"], l["Max msgqueue size"]];
    t.eq("config.process.rlimits.soft", got.map((x) => x?.[0]), ["512", "1234", "4096"], "soft limits (files, processes, msgqueue)");
    t.eq("config.process.rlimits.hard", got.map((x) => x?.[1]), ["1000", "2345", "8192"], "hard limits (files, processes, msgqueue)");
    const dup = await t.rt.create(t.newId("rldup"), t.bundle((c) => {
      c.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 100, hard: 200 }, { type: "RLIMIT_NOFILE", soft: 300, hard: 400 }];
    }));
    t.check("config.process.rlimits.duplicate", dup.code !== 0, "create with two RLIMIT_NOFILE entries succeeded");
    const unk = await t.rt.create(t.newId("rlunk"), t.bundle((c) => { c.process.rlimits = [{ type: "RLIMIT_TSRUNCCONF", soft: 1, hard: 1 }]; }));
    t.check("config.process.rlimits.unknown", unk.code !== 0, "create with RLIMIT_TSRUNCCONF succeeded");
  },
});

const ROOT_SET = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID"];

defineCase({
  name: "process-capabilities",
  spec: "config.md",
  reqs: {
    "config.process.capabilities.bounding": ["linux-process", "the bounding set is exactly capabilities.bounding"],
    "config.process.capabilities.effective": ["linux-process", "the effective set is exactly capabilities.effective (uid 0, all sets equal)"],
    "config.process.capabilities.permitted": ["linux-process", "the permitted set is exactly capabilities.permitted (uid 0, all sets equal)"],
    "config.process.capabilities.inheritable": ["linux-process", "the inheritable set is exactly capabilities.inheritable"],
  },
  async run(t) {
    // For uid 0 the kernel recomputes permitted = bounding | inheritable at exec (capabilities(7)),
    // so effective and permitted are observable only when they equal the bounding set.
    const ct = await t.started((c) => {
      c.process.capabilities = { bounding: ROOT_SET, effective: ROOT_SET, permitted: ROOT_SET, inheritable: ["CAP_KILL"] };
    });
    t.eq("config.process.capabilities.bounding", capNames(ct.pid, "CapBnd"), ROOT_SET, "CapBnd");
    t.eq("config.process.capabilities.effective", capNames(ct.pid, "CapEff"), ROOT_SET, "CapEff");
    t.eq("config.process.capabilities.permitted", capNames(ct.pid, "CapPrm"), ROOT_SET, "CapPrm");
    t.eq("config.process.capabilities.inheritable", capNames(ct.pid, "CapInh"), ["CAP_KILL"], "CapInh");
  },
});

defineCase({
  name: "process-capabilities-ambient",
  spec: "config.md",
  reqs: {
    "config.process.capabilities.ambient": ["linux-process", "a non-root process keeps capabilities.ambient across exec (ambient and effective sets)"],
  },
  async run(t) {
    const amb = ["CAP_NET_BIND_SERVICE"];
    const ct = await t.started((c) => {
      c.process.user = { uid: 1000, gid: 1000 };
      c.process.capabilities = { bounding: ROOT_SET, effective: amb, permitted: amb, inheritable: amb, ambient: amb };
    });
    const got = { ambient: capNames(ct.pid, "CapAmb"), effective: capNames(ct.pid, "CapEff") };
    t.eq("config.process.capabilities.ambient", got, { ambient: amb, effective: amb }, "CapAmb/CapEff");
  },
});

defineCase({
  name: "process-nnp-oom",
  spec: "config.md",
  reqs: {
    "config.process.noNewPrivileges.true": ["linux-process", "noNewPrivileges true sets no_new_privs on the process"],
    "config.process.noNewPrivileges.false": ["linux-process", "noNewPrivileges false leaves no_new_privs unset"],
    "config.process.oomScoreAdj": ["linux-process", "the process's oom_score_adj is oomScoreAdj"],
  },
  async run(t) {
    const a = await t.started((c) => { c.process.noNewPrivileges = true; c.process.oomScoreAdj = 123; });
    t.eq("config.process.noNewPrivileges.true", statusField(a.pid, "NoNewPrivs"), "1", "NoNewPrivs");
    t.eq("config.process.oomScoreAdj", procFile(a.pid, "oom_score_adj").trim(), "123", "oom_score_adj");
    const b = await t.started((c) => { c.process.noNewPrivileges = false; });
    t.eq("config.process.noNewPrivileges.false", statusField(b.pid, "NoNewPrivs"), "0", "NoNewPrivs");
  },
});

defineCase({
  name: "process-apparmor",
  spec: "config.md",
  reqs: { "config.process.apparmorProfile": ["linux-process", "the process runs confined by apparmorProfile"] },
  skip: (h) => (h.apparmor ? undefined : "AppArmor is not enabled on this host (no /sys/kernel/security/apparmor)"),
  async run(t) {
    const ct = await t.started((c) => { c.process.apparmorProfile = "unconfined"; });
    t.eq("config.process.apparmorProfile", procFile(ct.pid, "attr/current").trim(), "unconfined", "attr/current");
  },
});

defineCase({
  name: "process-selinux",
  spec: "config.md",
  reqs: { "config.process.selinuxLabel": ["linux-process", "the process runs with selinuxLabel"] },
  skip: (h) => (h.selinux ? undefined : "SELinux is not enabled on this host (no /sys/fs/selinux)"),
  async run(t) {
    const label = "system_u:system_r:container_t:s0:c1,c2";
    const ct = await t.started((c) => { c.process.selinuxLabel = label; });
    t.eq("config.process.selinuxLabel", procFile(ct.pid, "attr/current").replace(/\0/g, "").trim(), label, "attr/current");
  },
});

defineCase({
  name: "config-hostname",
  spec: "config.md",
  reqs: {
    "config.hostname": ["hostname", "processes in the container see hostname as the hostname"],
    "config.domainname": ["domainname", "processes in the container see domainname as the NIS domain name"],
  },
  async run(t) {
    const out = await t.output((c) => {
      c.hostname = "conf-host";
      c.domainname = "conf.example";
      c.process.args = ["sh", "-c", "hostname; cat /proc/sys/kernel/domainname"];
    });
    const [h, d] = out.split("\n");
    t.eq("config.hostname", h, "conf-host", "hostname");
    t.eq("config.domainname", d, "conf.example", "domainname");
  },
});
