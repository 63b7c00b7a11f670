import { test, expect, describe, afterEach } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { tsrunc, newId, bundle, runDetached, procFile, statusField, rootfsCopy, cleanup, ok, state, waitFor, TSRUNC, ROOT } from "./helpers";

afterEach(cleanup);

const capHex = (bits: number[]) => bits.reduce((m, b) => m | (1n << BigInt(b)), 0n).toString(16).padStart(16, "0");

describe("process", () => {
  test("capabilities: all five sets as configured", () => {
    // CAP_CHOWN=0 CAP_KILL=5 CAP_NET_BIND_SERVICE=10 CAP_SYS_CHROOT=18
    const pid = runDetached(newId("caps"), bundle(["sleep", "30"], (c) => {
      c.process.capabilities = {
        bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT"],
        effective: ["CAP_CHOWN", "CAP_KILL"],
        permitted: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        inheritable: ["CAP_NET_BIND_SERVICE"],
        ambient: ["CAP_NET_BIND_SERVICE"],
      };
    }));
    expect(statusField(pid, "CapBnd")).toBe(capHex([0, 5, 10, 18]));
    // execve as root: effective = permitted = (inheritable ∩ file caps) | bounding... root gets bounding
    expect(statusField(pid, "CapInh")).toBe(capHex([10]));
    expect(statusField(pid, "CapAmb")).toBe(capHex([10]));
  });

  test("the container's process and an exec'd one start with default signal dispositions", () => {
    // the engine ignores SIGPIPE, SIGXFSZ and glibc's 32/33; ignored signals survive execve
    const id = newId("sigs");
    const pid = runDetached(id, bundle(["sleep", "30"]));
    for (const f of ["SigIgn", "SigCgt", "SigBlk"]) expect(statusField(pid, f)).toBe("0000000000000000");
    const r = tsrunc(["exec", id, "grep", "-E", "^Sig(Ign|Cgt|Blk)", "/proc/self/status"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n");
  });

  test("capabilities of a non-root user survive execve only through ambient", () => {
    const pid = runDetached(newId("capsuser"), bundle(["sleep", "30"], (c) => {
      c.process.user = { uid: 1000, gid: 1000 };
      c.process.capabilities = {
        bounding: ["CAP_NET_BIND_SERVICE", "CAP_KILL"], effective: ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
        permitted: ["CAP_NET_BIND_SERVICE", "CAP_KILL"], inheritable: ["CAP_NET_BIND_SERVICE"], ambient: ["CAP_NET_BIND_SERVICE"],
      };
    }));
    expect(statusField(pid, "CapEff")).toBe(capHex([10]));
    expect(statusField(pid, "CapPrm")).toBe(capHex([10]));
    expect(statusField(pid, "CapBnd")).toBe(capHex([5, 10]));
  });

  test("user, groups, umask, cwd, env and args", () => {
    const r = tsrunc(["run", "-b", bundle(["sh", "-c", "id -u; id -g; id -G; umask; pwd; echo $GREETING"], (c) => {
      c.process.user = { uid: 1234, gid: 2345, additionalGids: [3456, 4567], umask: 0o027 };
      c.process.cwd = "/tmp";
      c.process.env.push("GREETING=hello there");
    }), newId("user")]);
    expect(r.stdout).toBe("1234\n2345\n2345 3456 4567\n0027\n/tmp\nhello there\n");
  });

  test("rlimits, oomScoreAdj and noNewPrivileges", () => {
    const hardNofile = Number(procFile(process.pid, "limits").match(/Max open files\s+\d+\s+(\d+)/)![1]);
    const pid = runDetached(newId("limits"), bundle(["sleep", "30"], (c) => {
      c.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 256, hard: Math.min(hardNofile, 512) }, { type: "RLIMIT_CORE", soft: 0, hard: 0 }];
      c.process.oomScoreAdj = 123;
      c.process.noNewPrivileges = true;
    }));
    expect(procFile(pid, "limits")).toMatch(new RegExp(`Max open files\\s+256\\s+${Math.min(hardNofile, 512)}\\s`));
    expect(procFile(pid, "limits")).toMatch(/Max core file size\s+0\s+0\s/);
    expect(procFile(pid, "oom_score_adj").trim()).toBe("123");
    expect(statusField(pid, "NoNewPrivs")).toBe("1");
  });

  test("CVE-2024-21626: no runtime fd reaches the container", () => {
    const r = tsrunc(["run", "-b", bundle(["ls", "/proc/self/fd"]), newId("fds")]);
    expect(r.stdout.trim().split("\n").sort()).toEqual(["0", "1", "2", "3"]); // 3 is ls's own directory fd
  });

  test("--preserve-fds passes fds 3.. through", () => {
    const b = bundle(["sh", "-c", "cat <&3"]);
    const p = Bun.spawnSync(["sh", "-c", `exec 3<<EOF\nfrom-fd-3\nEOF\n"$0" --root /run/tsrunc-test run --preserve-fds 1 -b "$1" "$2"`, process.env.TSRUNC ?? "dist/tsrunc", b, newId("preserve")]);
    expect(p.stdout.toString()).toBe("from-fd-3\n");
  });

  test("an executable missing from PATH fails create with runc's wording", () => {
    const r = tsrunc(["run", "-b", bundle(["no-such-program"]), newId("noexe")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no-such-program");
    expect(r.stderr).toContain("executable file not found in $PATH");
  });
});

describe("session keyring", () => {
  test("each container gets its own session keyring, named after it, unless --no-new-keyring", () => {
    const unmasked = (c: any) => { c.linux.maskedPaths = c.linux.maskedPaths.filter((p: string) => p !== "/proc/keys"); };
    const id = newId("keyring");
    const r = tsrunc(["run", "-b", bundle(["cat", "/proc/keys"], unmasked), id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`keyring\\s+${id}: `));
    const id2 = newId("nokeyring");
    const r2 = tsrunc(["run", "--no-new-keyring", "-b", bundle(["cat", "/proc/keys"], unmasked), id2]);
    expect(r2.code).toBe(0);
    expect(r2.stdout).not.toContain(id2);
  });
});

describe("CVE-2024-21626", () => {
  test("a cwd through a leaked host directory fd is refused", () => {
    const id = newId("leakcwd");
    const b = bundle(["pwd"], (c) => { c.process.cwd = "/proc/self/fd/3"; });
    // fd 3: a host directory tsrunc inherits, as a careless caller might leak it
    const dirFd = fs.openSync("/tmp", "r");
    try {
      const p = Bun.spawnSync([process.env.TSRUNC ?? "dist/tsrunc", "--root", "/run/tsrunc-test", "run", "-b", b, id], { stdio: ["ignore", "pipe", "pipe", dirFd] });
      expect(p.stdout.toString()).toBe("");
      expect(p.stderr.toString()).toContain("outside the container (CVE-2024-21626)");
      expect(p.exitCode).toBe(1);
    } finally {
      fs.closeSync(dirFd);
    }
  });
});

describe("CVE-2025-52881", () => {
  // A mount over a /proc/sys file (or one that lands there through shared mounts) would turn the
  // runtime's sysctl or oom_score_adj write into a write of whatever is bound there, on the host.
  test("a sysctl write does not follow a bind over its /proc/sys file", () => {
    const work = fs.mkdtempSync("/tmp/tsrunc-test-cve52881-");
    try {
      const target = path.join(work, "host-file");
      fs.writeFileSync(target, "untouched\n");
      const r = tsrunc(["run", "-b", bundle(["true"], (c) => {
        c.linux.sysctl = { "net.ipv4.ip_forward": "1" };
        c.mounts.push({ destination: "/proc/sys/net/ipv4/ip_forward", type: "bind", source: target, options: ["bind"] });
      }), newId("sysctlbind")]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("write sysctl net.ipv4.ip_forward");
      expect(r.stderr).toContain("EXDEV");
      expect(fs.readFileSync(target, "utf8")).toBe("untouched\n");
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("CVE-2019-5736", () => {
  // The 2019 attack: the container's entrypoint re-executes the runtime binary, whose file it can
  // then reopen for writing. On this kernel the interpreter /proc/self/exe is refused (ENOENT, for
  // runc too); the test keeps watch in case that changes.
  test("an entrypoint that re-executes the runtime (#!/proc/self/exe) does not run tsrunc in the container", () => {
    const rootfs = rootfsCopy();
    fs.writeFileSync(`${rootfs}/entry`, "#!/proc/self/exe --version\n", { mode: 0o755 });
    const r = tsrunc(["run", "-b", bundle(["/entry"], (c) => { c.root = { path: rootfs, readonly: false }; }), newId("selfexe")]);
    expect(r.stdout).not.toContain("tsrunc version");
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('exec "/entry"');
  });

  // The attack through /proc/<pid>/exe: a container process allowed to ptrace-read a runtime
  // process that joined it (here: it holds CAP_SYS_PTRACE) keeps that exe open and writes it once
  // the runtime stopped running it (ETXTBSY until then). The runtime under attack is a copy, so a
  // successful attack cannot damage dist/tsrunc.
  test("a container holding CAP_SYS_PTRACE cannot write the runtime through the init's /proc/<pid>/exe", () => {
    const work = fs.mkdtempSync("/tmp/tsrunc-test-cve5736-");
    try {
      const exe = path.join(work, "tsrunc");
      fs.copyFileSync(TSRUNC, exe);
      fs.chmodSync(exe, 0o755);
      const before = Bun.hash(fs.readFileSync(exe));
      // output to a file: the container's PID 1 inherits it and would hold a pipe open
      const log = Bun.file(path.join(work, "victim.log"));
      const victim = (args: string[]) => Bun.spawnSync([exe, "--root", ROOT, ...args], { stdin: "ignore", stdout: log, stderr: log });
      // the victim: created, not started, so its PID 1 is the runtime until `start`
      const a = newId("cve5736a");
      expect(victim(["create", "-b", bundle(["true"]), a]).exitCode).toBe(0);
      const aPid = state(a).pid;
      // the attacker: host pid namespace, its own /proc, CAP_SYS_PTRACE, a host dir to report in
      const out = path.join(work, "out");
      fs.mkdirSync(out);
      const script = `exec 3</proc/${aPid}/exe || exit 1; echo opened > /out/status
        while [ -d /proc/${aPid} ]; do sleep 0.05; done
        if echo pwned 2>/out/err >/proc/self/fd/3; then echo WROTE; else echo REFUSED; fi > /out/result`;
      const caps = ["CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE", "CAP_KILL"];
      runDetached(newId("cve5736b"), bundle(["sh", "-c", script], (c) => {
        c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== "pid");
        c.process.capabilities = { bounding: caps, effective: caps, permitted: caps };
        c.mounts.push({ destination: "/out", type: "bind", source: out, options: ["rbind", "rw"] });
      }));
      waitFor(() => fs.existsSync(path.join(out, "status")), "the attacker to open the init's exe");
      expect(victim(["delete", "--force", a]).exitCode).toBe(0);
      waitFor(() => fs.existsSync(path.join(out, "result")) && fs.readFileSync(path.join(out, "result"), "utf8").length > 0, "the attacker's write");
      expect(fs.readFileSync(path.join(out, "result"), "utf8").trim()).toBe("REFUSED");
      expect(fs.readFileSync(path.join(out, "err"), "utf8")).toContain("Read-only file system");
      expect(Bun.hash(fs.readFileSync(exe))).toBe(before);
    } finally {
      cleanup();
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 30_000);
});
