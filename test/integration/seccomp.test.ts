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
