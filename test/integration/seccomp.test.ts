import { test, expect, describe, afterEach } from "bun:test";
import { tsrunc, ok, newId, bundle, rootfsCopy, runDetached, statusField, cleanup } from "./helpers";

afterEach(cleanup);

describe("seccomp", () => {
  test("errno actions with per-rule errnoRet and argument conditions; unknown names are skipped", () => {
    const r = tsrunc(["run", "-b", bundle(["sh", "-c", "mkdir /tmp/x; chmod 777 /tmp; chmod 755 /tmp && echo chmod-755-ok"], (c) => {
      c.root = { path: rootfsCopy(), readonly: false };
      c.linux.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        syscalls: [
          { names: ["mkdir", "mkdirat", "not_a_syscall"], action: "SCMP_ACT_ERRNO", errnoRet: 13 },
          { names: ["chmod", "fchmodat"], action: "SCMP_ACT_ERRNO", args: [{ index: 1, value: 0o777, op: "SCMP_CMP_EQ" }] },
        ],
      };
    }), newId("seccomp")]);
    expect(r.stderr).toContain("Permission denied"); // EACCES from errnoRet 13
    expect(r.stderr).toContain("Operation not permitted"); // EPERM, the default errno
    expect(r.stdout).toContain("chmod-755-ok"); // the condition did not match 0755
  });

  test("SCMP_ACT_KILL_PROCESS kills the caller; the filter is in place (Seccomp: 2) with and without no_new_privs", () => {
    const k = tsrunc(["run", "-b", bundle(["sh", "-c", "echo before; exec mkdir /tmp/y"], (c) => {
      c.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_KILL_PROCESS" }] };
    }), newId("seckill")]);
    expect(k.code).toBe(128 + 31); // SIGSYS
    expect(k.stdout).toBe("before\n");
    for (const nnp of [true, false]) {
      const id = newId("secmode");
      const pid = runDetached(id, bundle(["sleep", "30"], (c) => {
        c.process.noNewPrivileges = nnp;
        c.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["reboot"], action: "SCMP_ACT_ERRNO" }] };
      }));
      expect(statusField(pid, "Seccomp")).toBe("2");
      expect(statusField(pid, "NoNewPrivs")).toBe(nnp ? "1" : "0");
      // an exec'd process gets the container's filter too
      expect(ok(["exec", id, "sh", "-c", "grep Seccomp: /proc/self/status"]).stdout).toMatch(/Seccomp:\s+2/);
    }
  });
});

for (const flags of [[], ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]]) test(`SCMP_ACT_NOTIFY${flags.length ? " with WAIT_KILLABLE_RECV (loaded through seccomp(2))" : ""}: the notify fd and the container process state reach listenerPath`, async () => {
  const fs = await import("node:fs");
  const path = await import("node:path");
  const id = newId("notify");
  const b = bundle(["sh", "-c", "sleep 0.5; mkdir /tmp/x; echo after-mkdir"], (c) => {
    c.mounts.push({ destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid"] });
    c.linux.seccomp = {
      defaultAction: "SCMP_ACT_ALLOW", listenerPath: "", listenerMetadata: "meta-42", flags,
      syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY" }],
    };
  });
  const sock = path.join(b, "notify.sock"), out = path.join(b, "state.json"), script = path.join(b, "listener.py");
  const c = JSON.parse(fs.readFileSync(path.join(b, "config.json"), "utf8"));
  c.linux.seccomp.listenerPath = sock;
  fs.writeFileSync(path.join(b, "config.json"), JSON.stringify(c));
  // a minimal seccomp agent: take the fd and the state, then close the fd (notified calls get ENOSYS)
  fs.writeFileSync(script, `
import socket, sys, os
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); srv.bind(sys.argv[1]); srv.listen(1)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 65536, 1)
open(sys.argv[2], "wb").write(msg)
os.close(fds[0])
`);
  const agent = Bun.spawn(["python3", script, sock, out], { stdio: ["ignore", "ignore", "inherit"] });
  try {
    const end = Date.now() + 5000;
    while (!fs.existsSync(sock) && Date.now() < end) Bun.sleepSync(10);
    const r = tsrunc(["run", "-b", b, id]);
    await agent.exited;
    const st = JSON.parse(fs.readFileSync(out, "utf8"));
    expect(st).toMatchObject({ fds: ["seccompFd"], metadata: "meta-42", state: { id, status: "creating", bundle: b } });
    expect(st.pid).toBeGreaterThan(1);
    expect(r.stderr + r.stdout).toContain("Function not implemented"); // ENOSYS once the agent is gone
    expect(r.stdout).toContain("after-mkdir");
  } finally {
    agent.kill();
  }
});
