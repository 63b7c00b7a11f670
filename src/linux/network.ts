// A new network namespace starts with "lo" down; runc brings it up for every new netns
// (its "loopback" network strategy), and programs expect 127.0.0.1 to work.
import type { Sys } from "../sys";
import { step } from "../errors";

const AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0o2000000;
const SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914, IFF_UP = 0x1;

export function loopbackUp(sys: Sys): void {
  step("bring up loopback", () => {
    const fd = sys.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    try {
      const ifr = Buffer.alloc(40); // struct ifreq: char ifr_name[16]; short ifr_flags
      ifr.write("lo", 0, "latin1");
      sys.ioctl(fd, SIOCGIFFLAGS, ifr);
      ifr.writeInt16LE(ifr.readInt16LE(16) | IFF_UP, 16);
      sys.ioctl(fd, SIOCSIFFLAGS, ifr);
    } finally {
      sys.close(fd);
    }
  });
}
