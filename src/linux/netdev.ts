// linux.netDevices: move host network interfaces into the container's network namespace (and
// rename them) with one rtnetlink RTM_NEWLINK request each: IFLA_NET_NS_PID with IFLA_IFNAME
// renames the device as it moves (ip link set DEV netns PID name NEW).
import * as fs from "node:fs";
import type { Sys } from "../sys";
import { step, SysError } from "../errors";

const AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 0o2000000, NETLINK_ROUTE = 0;
const RTM_NEWLINK = 16, NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLMSG_ERROR = 2;
const IFLA_IFNAME = 3, IFLA_NET_NS_PID = 19, IFLA_NET_NS_FD = 28;
const AF_INET = 2, SOCK_DGRAM = 2, SIOCGIFINDEX = 0x8933, CLONE_NEWNET = 0x40000000;

function rtattr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
}

/**
 * The RTM_NEWLINK request that moves interface `index` into a netns, named `name`: the netns of
 * a pid (IFLA_NET_NS_PID), or of an fd (IFLA_NET_NS_FD) when `byFd`.
 */
export function moveLinkMessage(index: number, target: number, name: string, seq: number, byFd = false): Buffer {
  const ifinfo = Buffer.alloc(16); // struct ifinfomsg: family, pad, type, index, flags, change
  ifinfo.writeInt32LE(index, 4);
  const ns = Buffer.alloc(4);
  ns.writeUInt32LE(target, 0);
  const body = Buffer.concat([ifinfo, rtattr(byFd ? IFLA_NET_NS_FD : IFLA_NET_NS_PID, ns), rtattr(IFLA_IFNAME, Buffer.from(name + "\0"))]);
  const hdr = Buffer.alloc(16); // struct nlmsghdr: len, type, flags, seq, pid
  hdr.writeUInt32LE(16 + body.length, 0);
  hdr.writeUInt16LE(RTM_NEWLINK, 4);
  hdr.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK, 6);
  hdr.writeUInt32LE(seq, 8);
  return Buffer.concat([hdr, body]);
}

function request(fd: number, msg: Buffer): void {
  fs.writeSync(fd, msg);
  const ack = Buffer.alloc(4096);
  const n = fs.readSync(fd, ack, 0, ack.length, null);
  if (n >= 20 && ack.readUInt16LE(4) === NLMSG_ERROR) {
    const err = -ack.readInt32LE(16);
    if (err !== 0) throw new SysError("rtnetlink RTM_NEWLINK", err);
  }
}

/**
 * delete: devices go back to the host under their host names while the container's netns still
 * exists (a dying netns destroys virtual devices and renames physical ones to devN). The calling
 * thread enters the container's netns to find and move them, then returns to its own.
 */
export function moveNetDevicesBack(sys: Sys, devices: Record<string, { name?: string }>, pid: number): string[] {
  const errors: string[] = [];
  const hostNs = sys.open("/proc/thread-self/ns/net", 0o2000000, 0);
  const ctrNs = sys.open(`/proc/${pid}/ns/net`, 0o2000000, 0);
  try {
    sys.setns(ctrNs, CLONE_NEWNET);
    try {
      const nl = sys.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
      const inet = sys.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      try {
        Object.entries(devices).forEach(([host, d], i) => {
          try {
            const ifr = Buffer.alloc(40); // struct ifreq: the name in, the index out
            ifr.write(d.name || host, 0, "latin1");
            sys.ioctl(inet, SIOCGIFINDEX, ifr);
            request(nl, moveLinkMessage(ifr.readInt32LE(16), hostNs, host, i + 1, true));
          } catch (e) {
            errors.push(`move network device ${JSON.stringify(d.name || host)} back to the host as ${JSON.stringify(host)}: ${e instanceof Error ? e.message : e}`);
          }
        });
      } finally {
        sys.close(nl);
        sys.close(inet);
      }
    } finally {
      sys.setns(hostNs, CLONE_NEWNET);
    }
  } finally {
    sys.close(hostNs);
    sys.close(ctrNs);
  }
  return errors;
}

/** into the network namespace of a process, or of an fd (create's, which PID 1 may not have joined yet) */
export function moveNetDevices(sys: Sys, devices: Record<string, { name?: string }>, target: { pid: number } | { netnsFd: number }): void {
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
        request(fd, "pid" in target ? moveLinkMessage(index, target.pid, name, i + 1) : moveLinkMessage(index, target.netnsFd, name, i + 1, true));
      });
    });
  } finally {
    sys.close(fd);
  }
}
