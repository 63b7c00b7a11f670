// A new network namespace starts with "lo" down; runc brings it up for every new netns
// (its "loopback" network strategy), and programs expect 127.0.0.1 to work.
import { CLONE, O, type Sys } from "../sys";
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

/**
 * A new network namespace with "lo" up, made by the calling thread, which then goes back to its
 * own: an fd of it. unshare(CLONE_NEWNET) is the slowest namespace to make (~0.35 ms here), and
 * create makes it while the init engine starts, rather than have the init make it on the
 * container's longest path. Only for a container whose namespaces all belong to the host's user
 * namespace, as this one does.
 */
export function makeNetworkNamespace(sys: Sys): number {
  const own = sys.open("/proc/thread-self/ns/net", O.RDONLY | O.CLOEXEC, 0);
  try {
    step("create network namespace", () => sys.unshare(CLONE.NEWNET));
    try {
      const fd = sys.open("/proc/thread-self/ns/net", O.RDONLY | O.CLOEXEC, 0);
      try {
        loopbackUp(sys);
      } catch (e) {
        sys.close(fd);
        throw e;
      }
      return fd;
    } finally {
      // every later socket of ours must be the host's
      step("return to our own network namespace", () => sys.setns(own, CLONE.NEWNET));
    }
  } finally {
    sys.close(own);
  }
}
