import { test, expect } from "bun:test";
import { moveLinkMessage } from "../../src/linux/netdev";

test("RTM_NEWLINK moving ifindex 7 to pid 4242 as eth1: header, ifinfomsg, NET_NS_PID and IFNAME attributes", () => {
  const m = moveLinkMessage(7, 4242, "eth1", 3);
  expect(m.readUInt32LE(0)).toBe(m.length); // nlmsg_len
  expect([m.readUInt16LE(4), m.readUInt16LE(6), m.readUInt32LE(8)]).toEqual([16, 1 | 4, 3]); // RTM_NEWLINK, REQUEST|ACK, seq
  expect(m.readInt32LE(16 + 4)).toBe(7); // ifi_index
  expect([m.readUInt16LE(32), m.readUInt16LE(34), m.readUInt32LE(36)]).toEqual([8, 19, 4242]); // IFLA_NET_NS_PID
  expect([m.readUInt16LE(40), m.readUInt16LE(42)]).toEqual([9, 3]); // IFLA_IFNAME, "eth1\0"
  expect(m.toString("latin1", 44, 48)).toBe("eth1");
  expect(m.length % 4).toBe(0);
});

test("moving back by netns fd uses IFLA_NET_NS_FD (28) instead of IFLA_NET_NS_PID", () => {
  const m = moveLinkMessage(3, 17, "veth0", 1, true);
  expect([m.readUInt16LE(34), m.readUInt32LE(36)]).toEqual([28, 17]);
  expect(m.toString("latin1", 44, 49)).toBe("veth0");
});
