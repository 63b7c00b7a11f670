// mounts[].options → mount(2) flags, propagation, mount_setattr(2) attributes and fs data,
// with the same vocabulary as runc (mount(8) names plus r-prefixed recursive attributes).
import { MS, MOUNT_ATTR } from "../sys/constants";
import { some } from "../sys/arrays";

export interface ParsedMountOptions {
  flags: number;
  clearFlags: number;
  propagation: number[];
  /** recursive attributes for mount_setattr(AT_RECURSIVE), e.g. "rro" */
  recAttrSet: number;
  recAttrClr: number;
  data: string[];
  /** options tsrunc recognises but does not implement yet: refused with a clear error */
  unsupported: string[];
}

const FLAGS: Record<string, [set: boolean, flag: number]> = {
  ro: [true, MS.RDONLY], rw: [false, MS.RDONLY],
  nosuid: [true, MS.NOSUID], suid: [false, MS.NOSUID],
  nodev: [true, MS.NODEV], dev: [false, MS.NODEV],
  noexec: [true, MS.NOEXEC], exec: [false, MS.NOEXEC],
  sync: [true, MS.SYNCHRONOUS], async: [false, MS.SYNCHRONOUS],
  dirsync: [true, MS.DIRSYNC], remount: [true, MS.REMOUNT],
  mand: [true, MS.MANDLOCK], nomand: [false, MS.MANDLOCK],
  noatime: [true, MS.NOATIME], atime: [false, MS.NOATIME],
  nodiratime: [true, MS.NODIRATIME], diratime: [false, MS.NODIRATIME],
  relatime: [true, MS.RELATIME], norelatime: [false, MS.RELATIME],
  strictatime: [true, MS.STRICTATIME], nostrictatime: [false, MS.STRICTATIME],
  lazytime: [true, MS.LAZYTIME], nolazytime: [false, MS.LAZYTIME],
  nosymfollow: [true, MS.NOSYMFOLLOW], symfollow: [false, MS.NOSYMFOLLOW],
  bind: [true, MS.BIND], rbind: [true, MS.BIND | MS.REC],
  defaults: [false, 0],
};

const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

const REC_ATTR: Record<string, [set: boolean, attr: number]> = {
  rro: [true, MOUNT_ATTR.RDONLY], rrw: [false, MOUNT_ATTR.RDONLY],
  rnosuid: [true, MOUNT_ATTR.NOSUID], rsuid: [false, MOUNT_ATTR.NOSUID],
  rnodev: [true, MOUNT_ATTR.NODEV], rdev: [false, MOUNT_ATTR.NODEV],
  rnoexec: [true, MOUNT_ATTR.NOEXEC], rexec: [false, MOUNT_ATTR.NOEXEC],
  rnodiratime: [true, MOUNT_ATTR.NODIRATIME], rdiratime: [false, MOUNT_ATTR.NODIRATIME],
  rnosymfollow: [true, MOUNT_ATTR.NOSYMFOLLOW], rsymfollow: [false, MOUNT_ATTR.NOSYMFOLLOW],
  rnoatime: [true, MOUNT_ATTR.NOATIME], rstrictatime: [true, MOUNT_ATTR.STRICTATIME], rrelatime: [true, MOUNT_ATTR.RELATIME],
};

const UNSUPPORTED = new Set(["tmpcopyup"]);
/** handled by linux/idmapped.ts, not mount(2) flags or data */
const IDMAP = new Set(["idmap", "ridmap"]);

export function parseMountOptions(options: string[] | undefined): ParsedMountOptions {
  const r: ParsedMountOptions = { flags: 0, clearFlags: 0, propagation: [], recAttrSet: 0, recAttrClr: 0, data: [], unsupported: [] };
  for (const o of options ?? []) {
    if (o in FLAGS) {
      const [set, flag] = FLAGS[o];
      if (set) { r.flags |= flag; r.clearFlags &= ~flag; } else { r.flags &= ~flag; r.clearFlags |= flag; }
    } else if (o in PROPAGATION) {
      r.propagation.push(PROPAGATION[o]);
    } else if (o in REC_ATTR) {
      const [set, attr] = REC_ATTR[o];
      // the last option wins: the kernel applies attr_clr then attr_set
      if (o === "rnoatime" || o === "rstrictatime" || o === "rrelatime") {
        // an atime mode is a field, not a bit: clear the whole field, then set the mode
        r.recAttrSet = (r.recAttrSet & ~MOUNT_ATTR._ATIME) | attr;
        r.recAttrClr |= MOUNT_ATTR._ATIME;
      } else if (set) { r.recAttrSet |= attr; r.recAttrClr &= ~attr; } else { r.recAttrClr |= attr; r.recAttrSet &= ~attr; }
    } else if (IDMAP.has(o)) {
      continue;
    } else if (UNSUPPORTED.has(o)) {
      r.unsupported.push(o);
    } else {
      r.data.push(o);
    }
  }
  return r;
}

export function isBind(m: { type?: string; options?: string[] }): boolean {
  return m.type === "bind" || some(m.options, (o) => o === "bind" || o === "rbind");
}

/**
 * every option name parseMountOptions applies, for `tsrunc features`: a function, not a constant
 * made at load, since create's parent and the init engine load this module (~0.25 ms at load)
 */
export function mountOptionNames(): string[] {
  return [...Object.keys(FLAGS), ...Object.keys(PROPAGATION), ...Object.keys(REC_ATTR), ...IDMAP].sort();
}

/** an idmapped mount (linux/idmapped.ts): its own id maps, or the idmap/ridmap option */
export function isIdmapped(m: { options?: string[]; uidMappings?: unknown[]; gidMappings?: unknown[] }): boolean {
  return !!(m.uidMappings?.length || m.gidMappings?.length || some(m.options, (o) => o === "idmap" || o === "ridmap"));
}
