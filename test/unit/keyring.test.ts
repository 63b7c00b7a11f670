// A new session keyring per container: join, then let the container's user search it.
import { describe, expect, test } from "bun:test";
import { newSessionKeyring } from "../../src/linux/keyring";
import { EPERM } from "../../src/sys";
import { FakeSys } from "../fake-sys";

const ENOSYS = 38;

describe("newSessionKeyring", () => {
  test("join, describe, then setperm with KEY_USR_SEARCH added to the current permissions", () => {
    const s = new FakeSys();
    s.keySerial = 77;
    s.keys.set(77, "keyring;0;0;3f010000;_ses.c1");
    newSessionKeyring(s, "_ses.c1");
    expect(s.calls).toEqual([
      { op: "joinSessionKeyring", args: ["_ses.c1"] },
      { op: "describeKey", args: [77] },
      { op: "setKeyPerm", args: [77, 0x3f090000] },
    ]);
  });

  test("a permission word with the top bit set stays unsigned", () => {
    const s = new FakeSys();
    s.keys.set(s.keySerial, "keyring;0;0;ff0f0000;x");
    newSessionKeyring(s, "x");
    expect(s.callsOf("setKeyPerm")).toEqual([[500, 0xff0f0000 | 0x080000].map((v) => v >>> 0)]);
  });

  test("ENOSYS (no keyrings in the kernel) is not an error; other errors name the step", () => {
    const s = new FakeSys().failNext("joinSessionKeyring", ENOSYS);
    newSessionKeyring(s, "x");
    expect(s.ops()).toEqual(["joinSessionKeyring"]);
    const t = new FakeSys().failNext("joinSessionKeyring", EPERM);
    expect(() => newSessionKeyring(t, "x")).toThrow("join a new session keyring: joinSessionKeyring: EPERM");
  });
});
