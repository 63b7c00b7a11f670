// AppArmor and SELinux (linux/lsm.ts) with the recording fake: which procfs attribute gets which
// bytes, through which checked fds; the mount data a mountLabel produces; and the fields
// container/unsupported.ts refuses depending on the host's LSM list (a temporary file here).
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FakeSys, type Call } from "../fake-sys";
import { MS, O, RESOLVE, realSys } from "../../src/sys";
import { StepError } from "../../src/errors";
import { execProcess, type ExecArgs } from "../../src/cli/exec";
import type { Process } from "../../src/spec/types";
import {
  applyApparmorProfile, lsmActive, setSelinuxExecLabel, setSelinuxKeyLabel, withMountLabel,
} from "../../src/linux/lsm";
import { PROC_SUPER_MAGIC, writeProc } from "../../src/linux/procfs";
import { unsupportedFields } from "../../src/container/unsupported";
import type { Spec } from "../../src/spec/types";

const EACCES = 13, EXDEV = 18;
const TMPFS_MAGIC = 0x01021994;
const PROC_DIR = 100, ATTR = 101;
const openProc: Call = { op: "open", args: ["/proc", O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC, 0] };
const at2 = (rel: string): Call => ({ op: "openat2", args: [PROC_DIR, rel, O.WRONLY | O.CLOEXEC, 0, RESOLVE.BENEATH | RESOLVE.NO_MAGICLINKS | RESOLVE.NO_XDEV] });
const fstatfs = (fd: number): Call => ({ op: "fstatfs", args: [fd] });
const write = (fd: number, text: string): Call => ({ op: "write", args: [fd, Buffer.from(text)] });
const close = (fd: number): Call => ({ op: "close", args: [fd] });

/** the error fn throws, so a test can look at its message and errno */
function thrown(fn: () => void): StepError {
  try { fn(); } catch (e) { return e as StepError; }
  throw new Error("did not throw");
}

describe("procfs attribute writes", () => {
  test("apparmor: 'exec <profile>' in one write to attr/apparmor/exec, through checked fds, both closed", () => {
    const s = new FakeSys();
    applyApparmorProfile(s, "docker-default");
    expect(s.calls).toEqual([
      openProc, fstatfs(PROC_DIR),
      at2("thread-self/attr/apparmor/exec"), fstatfs(ATTR), write(ATTR, "exec docker-default"),
      close(ATTR), close(PROC_DIR),
    ]);
    expect(s.openFds.size).toBe(0);
  });

  test("apparmor: a kernel without attr/apparmor/ gets the shared attr/exec", () => {
    const s = new FakeSys().absent("thread-self/attr/apparmor");
    applyApparmorProfile(s, "p");
    expect(s.calls).toEqual([
      openProc, fstatfs(PROC_DIR),
      at2("thread-self/attr/apparmor/exec"), at2("thread-self/attr/exec"), fstatfs(ATTR), write(ATTR, "exec p"),
      close(ATTR), close(PROC_DIR),
    ]);
  });

  test("apparmor: neither attribute file: the error names the step and the last path", () => {
    const s = new FakeSys().absent("thread-self/attr");
    const e = thrown(() => applyApparmorProfile(s, "p"));
    expect(e.message).toBe('apparmor: set exec profile "p": open /proc/thread-self/attr/exec: ENOENT (No such file or directory)');
    expect(e.errno).toBe(2);
    expect(s.openFds.size).toBe(0);
  });

  test("apparmor: a mount crossing (EXDEV) is not taken for a missing file: no fallback", () => {
    const s = new FakeSys().failNext("openat2", EXDEV);
    const e = thrown(() => applyApparmorProfile(s, "p"));
    expect(e.message).toBe('apparmor: set exec profile "p": open /proc/thread-self/attr/apparmor/exec: EXDEV (Invalid cross-device link)');
    expect(s.callsOf("openat2").length).toBe(1);
    expect(s.callsOf("write")).toEqual([]);
  });

  test("selinux: the exec label, as is, to attr/exec", () => {
    const s = new FakeSys();
    setSelinuxExecLabel(s, "system_u:system_r:container_t:s0:c1,c2");
    expect(s.calls).toEqual([
      openProc, fstatfs(PROC_DIR),
      at2("thread-self/attr/exec"), fstatfs(ATTR), write(ATTR, "system_u:system_r:container_t:s0:c1,c2"),
      close(ATTR), close(PROC_DIR),
    ]);
  });

  test("selinux: the key label to attr/keycreate; a kernel without it is not an error", () => {
    const s = new FakeSys();
    setSelinuxKeyLabel(s, "system_u:system_r:container_t:s0");
    expect(s.callsOf("openat2").map((a) => a[1])).toEqual(["thread-self/attr/keycreate"]);
    expect(s.callsOf("write")).toEqual([[ATTR, Buffer.from("system_u:system_r:container_t:s0")]]);

    const old = new FakeSys().absent("thread-self/attr/keycreate");
    setSelinuxKeyLabel(old, "l");
    expect(old.callsOf("write")).toEqual([]);
    expect(old.openFds.size).toBe(0);
  });

  test("no profile or label, no call at all", () => {
    const s = new FakeSys();
    applyApparmorProfile(s, undefined);
    applyApparmorProfile(s, "");
    setSelinuxExecLabel(s, "");
    setSelinuxKeyLabel(s, undefined);
    expect(s.calls).toEqual([]);
  });

  test("a /proc that is not procfs is refused before anything is opened below it", () => {
    const s = new FakeSys();
    s.fsTypes.set(PROC_DIR, TMPFS_MAGIC);
    const e = thrown(() => setSelinuxExecLabel(s, "l"));
    expect(e.message).toBe('selinux: set exec label "l": /proc is not on procfs (filesystem type 0x1021994): refusing to write through it');
    expect(s.calls).toEqual([openProc, fstatfs(PROC_DIR), close(PROC_DIR)]);
  });

  test("an attribute fd that is not on procfs gets no write", () => {
    const s = new FakeSys();
    s.fsTypes.set(ATTR, TMPFS_MAGIC);
    const e = thrown(() => applyApparmorProfile(s, "p"));
    expect(e.message).toContain("/proc/thread-self/attr/apparmor/exec is not on procfs (filesystem type 0x1021994)");
    expect(s.ops()).toEqual(["open", "fstatfs", "openat2", "fstatfs", "close", "close"]);
    expect(s.openFds.size).toBe(0);
  });

  test("a failing write keeps its errno and names the file", () => {
    const s = new FakeSys().failNext("write", EACCES);
    const e = thrown(() => setSelinuxExecLabel(s, "bad_t"));
    expect(e).toBeInstanceOf(StepError);
    expect(e.message).toBe('selinux: set exec label "bad_t": write /proc/thread-self/attr/exec: EACCES (Permission denied)');
    expect(e.errno).toBe(EACCES);
    expect(s.openFds.size).toBe(0);
  });

  test("a short write is an error: the kernel takes an attribute in one write", () => {
    const s = new FakeSys();
    s.write = (fd: number, data: Buffer) => { s.calls.push({ op: "write", args: [fd, data] }); return data.length - 1; };
    expect(() => writeProc(s, ["thread-self/attr/exec"], "abc")).toThrow("write /proc/thread-self/attr/exec: wrote 2 of 3 bytes");
  });

  test("a failing open of /proc is reported as such", () => {
    const s = new FakeSys().failNext("open", 2);
    expect(() => applyApparmorProfile(s, "p")).toThrow('apparmor: set exec profile "p": open /proc: ENOENT (No such file or directory)');
  });

  test("the real write sends the whole buffer in one call", () => {
    const sys = realSys();
    const [r, w] = sys.pipe();
    try {
      expect(sys.write(w, Buffer.from("exec p"))).toBe(6);
      const b = Buffer.alloc(16);
      expect(b.toString("utf8", 0, fs.readSync(r, b))).toBe("exec p");
    } finally {
      sys.close(r);
      sys.close(w);
    }
  });

  test("the real fstatfs reads f_type: /proc is procfs, a temporary directory is not", () => {
    const sys = realSys();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrunc-lsm-statfs-"));
    const proc = sys.open("/proc", O.PATH | O.DIRECTORY | O.CLOEXEC, 0);
    const other = sys.open(tmp, O.PATH | O.DIRECTORY | O.CLOEXEC, 0);
    try {
      expect(sys.fstatfs(proc)).toBe(PROC_SUPER_MAGIC);
      expect(sys.fstatfs(other)).not.toBe(PROC_SUPER_MAGIC);
    } finally {
      sys.close(proc);
      sys.close(other);
      fs.rmSync(tmp, { recursive: true });
    }
  });
});

describe("withMountLabel", () => {
  const L = "system_u:object_r:container_file_t:s0:c1,c2";
  const Q = `context="${L}"`;

  test("appended, quoted (the MCS level has a comma), to the data of filesystems that take it", () => {
    expect(withMountLabel("tmpfs", "mode=755,size=65536k", L)).toBe(`mode=755,size=65536k,${Q}`);
    expect(withMountLabel("devpts", "newinstance,ptmxmode=0666,mode=0620", L)).toBe(`newinstance,ptmxmode=0666,mode=0620,${Q}`);
    expect(withMountLabel("shm", "mode=1777", L)).toBe(`mode=1777,${Q}`);
  });

  test("empty or missing data becomes the option alone", () => {
    expect(withMountLabel("tmpfs", "", L)).toBe(Q);
    expect(withMountLabel("tmpfs", null, L)).toBe(Q);
    expect(withMountLabel("tmpfs", undefined, L)).toBe(Q);
  });

  test("bind, move and remount calls are untouched", () => {
    expect(withMountLabel("bind", "", L)).toBe("");
    expect(withMountLabel("none", null, L, MS.BIND | MS.REC)).toBe("");
    expect(withMountLabel("tmpfs", "mode=755", L, MS.BIND)).toBe("mode=755");
    expect(withMountLabel("tmpfs", "size=1m", L, MS.REMOUNT)).toBe("size=1m");
    expect(withMountLabel("tmpfs", null, L, MS.MOVE)).toBe("");
  });

  test("filesystems SELinux will not label with context= are untouched", () => {
    for (const t of ["proc", "sysfs", "mqueue", "cgroup", "cgroup2"]) expect(withMountLabel(t, "nosuid", L)).toBe("nosuid");
  });

  test("a context the config set already is kept, and not doubled", () => {
    expect(withMountLabel("tmpfs", 'context="a:b:c:s0"', L)).toBe('context="a:b:c:s0"');
    expect(withMountLabel("tmpfs", 'mode=755,fscontext="a:b:c:s0"', L)).toBe('mode=755,fscontext="a:b:c:s0"');
    expect(withMountLabel("tmpfs", "defcontext=x", L)).toBe("defcontext=x");
    // rootcontext= only labels the root inode and combines with context=
    expect(withMountLabel("tmpfs", "rootcontext=x", L)).toBe(`rootcontext=x,${Q}`);
  });

  test("no label, or no type, changes nothing", () => {
    expect(withMountLabel("tmpfs", "mode=755", undefined)).toBe("mode=755");
    expect(withMountLabel("tmpfs", "mode=755", "")).toBe("mode=755");
    expect(withMountLabel(null, "mode=755", L)).toBe("mode=755");
  });

  test("a label mount data cannot carry is refused", () => {
    expect(() => withMountLabel("tmpfs", "", 'a"b')).toThrow("double quote");
  });
});

describe("lsmActive and the fields refused without the LSM", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrunc-lsm-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const lsmFile = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };
  const apparmorHost = lsmFile("apparmor", "lockdown,capability,landlock,yama,apparmor\n");
  const selinuxHost = lsmFile("selinux", "capability,selinux");
  const bothHost = lsmFile("both", "capability,selinux,apparmor");
  const noneHost = lsmFile("none", "lockdown,capability,yama");
  const missing = path.join(dir, "missing");

  test("lsmActive reads the comma list; a missing file means none", () => {
    expect(lsmActive("apparmor", apparmorHost)).toBe(true);
    expect(lsmActive("selinux", apparmorHost)).toBe(false);
    expect(lsmActive("selinux", selinuxHost)).toBe(true);
    expect(lsmActive("apparmor", noneHost)).toBe(false);
    expect(lsmActive("apparmor", missing)).toBe(false);
    // a name is matched whole, not as a substring of another LSM's
    expect(lsmActive("selinux", lsmFile("substr", "notselinux,apparmorx"))).toBe(false);
  });

  const base = { ociVersion: "1.3.0", process: { cwd: "/", args: ["sh"] } } as unknown as Spec;
  const all = { ...base, process: { ...base.process, apparmorProfile: "p", selinuxLabel: "l" }, linux: { mountLabel: "m" } } as unknown as Spec;

  test("without the LSMs every field is refused with the host's reason", () => {
    const want = [
      "/process/apparmorProfile: AppArmor profiles need the AppArmor LSM, which is not enabled on this host",
      "/process/selinuxLabel: SELinux labels need the SELinux LSM, which is not enabled on this host",
      "/linux/mountLabel: SELinux mount labels need the SELinux LSM, which is not enabled on this host",
    ];
    expect(unsupportedFields(all, noneHost)).toEqual(want);
    expect(unsupportedFields(all, missing)).toEqual(want);
  });

  test("with an LSM its fields are accepted, the other's still refused", () => {
    expect(unsupportedFields(all, apparmorHost).map((l) => l.slice(0, l.indexOf(":")))).toEqual(["/process/selinuxLabel", "/linux/mountLabel"]);
    expect(unsupportedFields(all, selinuxHost).map((l) => l.slice(0, l.indexOf(":")))).toEqual(["/process/apparmorProfile"]);
    expect(unsupportedFields(all, bothHost)).toEqual([]);
  });

  test("empty strings ask for nothing and are not refused", () => {
    const empty = { ...base, process: { ...base.process, apparmorProfile: "", selinuxLabel: "" }, linux: { mountLabel: "" } } as unknown as Spec;
    expect(unsupportedFields(empty, noneHost)).toEqual([]);
  });
});

describe("exec --apparmor / --process-label", () => {
  const base = { args: ["sh"], cwd: "/", user: { uid: 0, gid: 0 }, env: [], apparmorProfile: "from-config" } as unknown as Process;
  const args = (extra: Record<string, unknown>) => ({ command: ["true"], tty: false, ...extra }) as unknown as ExecArgs;
  test("refused with the reason on a host without the LSM; otherwise they override the container's labels", () => {
    const hasAA = lsmActive("apparmor"), hasSE = lsmActive("selinux");
    if (!hasAA) expect(() => execProcess(base, args({ apparmor: "p" }))).toThrow("--apparmor: AppArmor profiles need the AppArmor LSM, which is not enabled on this host");
    else expect(execProcess(base, args({ apparmor: "p" })).apparmorProfile).toBe("p");
    if (!hasSE) expect(() => execProcess(base, args({ "process-label": "l" }))).toThrow("--process-label: SELinux labels need the SELinux LSM");
    // without the flags the exec'd process keeps the container's profile, like runc
    expect(execProcess(base, args({})).apparmorProfile).toBe("from-config");
  });
});
