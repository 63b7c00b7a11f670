// linux.netDevices: move host network interfaces into the container's network namespace (and
// rename them) with one rtnetlink RTM_NEWLINK request each: IFLA_NET_NS_PID with IFLA_IFNAME
// renames the device as it moves (ip link set DEV netns PID name NEW).
import * as fs from "node:fs";
import type { Sys } from "../sys";
import { step, SysError } from "../errors";

const AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 0o2000000, NETLINK_ROUTE = 0;
const RTM_NEWLINK = 16, NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLMSG_ERROR = 2;
const IFLA_IFNAME = 3, IFLA_NET_NS_PID = 19;

function rtattr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
}

/** the RTM_NEWLINK request that moves interface `index` into pid's netns, named `name` */
export function moveLinkMessage(index: number, pid: number, name: string, seq: number): Buffer {
  const ifinfo = Buffer.alloc(16); // struct ifinfomsg: family, pad, type, index, flags, change
  ifinfo.writeInt32LE(index, 4);
  const nsPid = Buffer.alloc(4);
  nsPid.writeUInt32LE(pid, 0);
  const body = Buffer.concat([ifinfo, rtattr(IFLA_NET_NS_PID, nsPid), rtattr(IFLA_IFNAME, Buffer.from(name + "\0"))]);
  const hdr = Buffer.alloc(16); // struct nlmsghdr: len, type, flags, seq, pid
  hdr.writeUInt32LE(16 + body.length, 0);
  hdr.writeUInt16LE(RTM_NEWLINK, 4);
  hdr.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK, 6);
  hdr.writeUInt32LE(seq, 8);
  return Buffer.concat([hdr, body]);
}

export function moveNetDevices(sys: Sys, devices: Record<string, { name?: string }>, pid: number): void {
  const entries = Object.entries(devices);
  if (!entries.length) return;
  const fd = sys.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  try {
    entries.forEach(([host, d], i) => {
      const name = d.name || host;
      step(`move network device ${JSON.stringify(host)} into the container as ${JSON.stringify(name)}`, () => {
        let index: number;
        try {
          index = Number(fs.readFileSync(`/sys/class/net/${host}/ifindex`, "utf8"));
        } catch {
          throw new Error("no such interface on the host");
        }
        fs.writeSync(fd, moveLinkMessage(index, pid, name, i + 1));
        const ack = Buffer.alloc(4096);
        const n = fs.readSync(fd, ack, 0, ack.length, null);
        if (n >= 20 && ack.readUInt16LE(4) === NLMSG_ERROR) {
          const err = -ack.readInt32LE(16);
          if (err !== 0) throw new SysError("rtnetlink RTM_NEWLINK", err);
        }
      });
    });
  } finally {
    sys.close(fd);
  }
}
