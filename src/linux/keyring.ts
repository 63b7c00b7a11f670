// A fresh session keyring per container, so the container cannot read or use the keys of the
// session that started the runtime (runc does the same unless --no-new-keyring).
import type { Sys } from "../sys";
import { SysError, step } from "../errors";

const ENOSYS = 38;
const KEY_USR_SEARCH = 0x080000;

export function newSessionKeyring(sys: Sys, name: string): void {
  step("join a new session keyring", () => {
    let id: number;
    try {
      id = sys.joinSessionKeyring(name);
    } catch (e) {
      if (e instanceof SysError && e.errno === ENOSYS) return; // kernel without keyrings
      throw e;
    }
    // let the container's user search it after the uid change: add "user may search"
    const perm = parseInt(sys.describeKey(id).split(";")[3] ?? "0", 16);
    sys.setKeyPerm(id, (perm | KEY_USR_SEARCH) >>> 0);
  });
}
