// process.user: groups first (setgroups needs CAP_SETGID, which the uid change may take away),
// then gid, then uid; umask last.
import type { Sys } from "../sys";
import type { User } from "../spec/types";
import { step } from "../errors";

export function setUser(sys: Sys, user: User, setgroupsAllowed: boolean): void {
  if (setgroupsAllowed) step("setgroups", () => sys.setgroups(user.additionalGids ?? []));
  else if (user.additionalGids?.length) throw new Error("process.user.additionalGids: setgroups is denied in this user namespace");
  step(`setresgid ${user.gid}`, () => sys.setresgid(user.gid));
  step(`setresuid ${user.uid}`, () => sys.setresuid(user.uid));
}
