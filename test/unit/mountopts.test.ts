// mounts[].options → flags, clear flags, propagation, recursive attributes, data, unsupported.
import { describe, expect, test } from "bun:test";
import { isBind, mountOptionNames, parseMountOptions, type ParsedMountOptions } from "../../src/linux/mountopts";
import { MOUNT_ATTR, MS } from "../../src/sys";

const EMPTY: ParsedMountOptions = { flags: 0, clearFlags: 0, propagation: [], recAttrSet: 0, recAttrClr: 0, data: [], unsupported: [] };
const parsed = (p: Partial<ParsedMountOptions>): ParsedMountOptions => ({ ...EMPTY, ...p });

describe("parseMountOptions", () => {
  test("no options, undefined options", () => {
    expect(parseMountOptions(undefined)).toEqual(EMPTY);
    expect(parseMountOptions([])).toEqual(EMPTY);
  });

  test("flags accumulate", () => {
    expect(parseMountOptions(["nosuid", "noexec", "nodev", "ro"])).toEqual(parsed({ flags: MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY }));
    expect(MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY).toBe(0xf);
    expect(parseMountOptions(["rbind"])).toEqual(parsed({ flags: MS.BIND | MS.REC }));
    expect(parseMountOptions(["bind", "strictatime", "relatime", "noatime", "nodiratime", "sync", "dirsync", "lazytime", "nosymfollow", "mand"]))
      .toEqual(parsed({ flags: MS.BIND | MS.STRICTATIME | MS.RELATIME | MS.NOATIME | MS.NODIRATIME | MS.SYNCHRONOUS | MS.DIRSYNC | MS.LAZYTIME | MS.NOSYMFOLLOW | MS.MANDLOCK }));
  });

  test("the last of ro/rw wins: rw after ro clears, ro after rw sets", () => {
    expect(parseMountOptions(["ro", "rw"])).toEqual(parsed({ flags: 0, clearFlags: MS.RDONLY }));
    expect(parseMountOptions(["rw", "ro"])).toEqual(parsed({ flags: MS.RDONLY, clearFlags: 0 }));
    expect(parseMountOptions(["nosuid", "suid", "exec", "dev"])).toEqual(parsed({ clearFlags: MS.NOSUID | MS.NOEXEC | MS.NODEV }));
    expect(parseMountOptions(["defaults"])).toEqual(EMPTY);
  });

  test("propagation options are kept in order, not folded into flags", () => {
    expect(parseMountOptions(["rprivate", "shared", "rslave", "unbindable"])).toEqual(parsed({
      propagation: [MS.PRIVATE | MS.REC, MS.SHARED, MS.SLAVE | MS.REC, MS.UNBINDABLE],
    }));
    expect(parseMountOptions(["private", "rshared", "slave", "runbindable"]).propagation)
      .toEqual([0x40000, 0x100000 | 0x4000, 0x80000, 0x20000 | 0x4000]);
  });

  test("recursive attributes go to mount_setattr, not to mount flags", () => {
    expect(parseMountOptions(["rro", "rnosuid"])).toEqual(parsed({ recAttrSet: MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID }));
    expect(parseMountOptions(["rro", "rnosuid"]).recAttrSet).toBe(0x3);
    expect(parseMountOptions(["rrw", "rsuid", "rdev", "rexec"])).toEqual(parsed({
      recAttrClr: MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV | MOUNT_ATTR.NOEXEC,
    }));
    expect(parseMountOptions(["rnodev", "rnoexec", "rnodiratime", "rnosymfollow"])).toEqual(parsed({
      recAttrSet: MOUNT_ATTR.NODEV | MOUNT_ATTR.NOEXEC | MOUNT_ATTR.NODIRATIME | MOUNT_ATTR.NOSYMFOLLOW,
    }));
  });

  test("recursive atime modes clear the whole atime field", () => {
    expect(parseMountOptions(["rnoatime"])).toEqual(parsed({ recAttrSet: MOUNT_ATTR.NOATIME, recAttrClr: MOUNT_ATTR._ATIME }));
    expect(parseMountOptions(["rstrictatime"])).toEqual(parsed({ recAttrSet: MOUNT_ATTR.STRICTATIME, recAttrClr: 0x70 }));
    expect(parseMountOptions(["rrelatime"])).toEqual(parsed({ recAttrSet: 0, recAttrClr: 0x70 }));
  });

  test("unknown options are filesystem data, passed through in order", () => {
    expect(parseMountOptions(["nosuid", "size=65536k", "mode=755", "uid=5"])).toEqual(parsed({
      flags: MS.NOSUID, data: ["size=65536k", "mode=755", "uid=5"],
    }));
  });

  test("idmap/ridmap are neither flags nor data (linux/idmapped.ts handles them); unimplemented options are reported", () => {
    expect(parseMountOptions(["rbind", "idmap"])).toEqual(parsed({ flags: MS.BIND | MS.REC }));
    expect(parseMountOptions(["ridmap", "tmpcopyup"]).unsupported).toEqual(["tmpcopyup"]);
  });
});

describe("isBind and option names", () => {
  test("type bind, or a bind/rbind option, makes a bind mount", () => {
    expect(isBind({ type: "bind" })).toBe(true);
    expect(isBind({ type: "none", options: ["rbind", "ro"] })).toBe(true);
    expect(isBind({ options: ["bind"] })).toBe(true);
    expect(isBind({ type: "tmpfs", options: ["nosuid", "mode=755"] })).toBe(false);
    expect(isBind({ type: "proc" })).toBe(false);
  });

  test("mountOptionNames() is sorted and holds flags, propagation and recursive attributes, not data", () => {
    expect(mountOptionNames()).toEqual([...mountOptionNames()].sort());
    for (const n of ["ro", "rw", "rbind", "rprivate", "rro", "rnosuid", "nosymfollow"]) expect(mountOptionNames()).toContain(n);
    expect(mountOptionNames()).toContain("idmap");
    expect(mountOptionNames()).not.toContain("mode=755");
  });
});
