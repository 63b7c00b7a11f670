// process.terminal: a pty made inside the container (from its own devpts instance, so the
// container owns it), the slave as stdio and controlling terminal, the master handed to whoever
// drives the terminal (conmon, containerd's shim: --console-socket; `run` in the foreground).
import { fs } from "./lazy-fs";
import { O, MS, type Sys } from "../sys";
import { step } from "../errors";
import { consoleTarget } from "./paths";
import { fdPath } from "./fsroot";

const TIOCSPTLCK = 0x40045431, TIOCGPTPEER = 0x5441, TIOCSCTTY = 0x540e, TIOCSWINSZ = 0x5414;

export interface Pty { master: number; slave: number }

/** After pivot_root: /dev/ptmx is the container's (a link to pts/ptmx of its devpts mount). */
export function openPty(sys: Sys, size: { height: number; width: number } | undefined): Pty {
  return step("allocate a pty", () => {
    const master = sys.open("/dev/ptmx", O.RDWR | O.NOCTTY | O.CLOEXEC, 0);
    const unlock = Buffer.alloc(4); // int 0: unlock the slave
    sys.ioctl(master, TIOCSPTLCK, unlock);
    // TIOCGPTPEER opens the slave of this master without a path lookup (no /dev/pts/N race)
    const slave = sys.ioctlInt(master, TIOCGPTPEER, O.RDWR | O.NOCTTY);
    if (size) setWinsize(sys, slave, size);
    return { master, slave };
  });
}

export function setWinsize(sys: Sys, fd: number, size: { height: number; width: number }): void {
  const ws = Buffer.alloc(8); // struct winsize { rows, cols, xpixel, ypixel }
  ws.writeUInt16LE(size.height, 0);
  ws.writeUInt16LE(size.width, 2);
  sys.ioctl(fd, TIOCSWINSZ, ws);
}

/**
 * /dev/console is the pty slave, bind-mounted (runtime-spec config-linux.md "/dev/console"): from
 * the slave fd we hold onto a verified target fd (linux/paths.ts, CVE-2025-52565), no path
 * string on either side.
 */
export function bindConsole(sys: Sys, slave: number): void {
  step("bind the pty to /dev/console", () => {
    const target = consoleTarget(sys);
    try {
      sys.mount(fdPath(slave), fdPath(target), null, MS.BIND, null);
    } finally {
      sys.close(target);
    }
  });
}

/** A new session with the slave as its controlling terminal, and as fds 0-2. */
export function becomeTerminalSession(sys: Sys, slave: number): void {
  step("make the pty the controlling terminal", () => {
    sys.setsid();
    sys.ioctlInt(slave, TIOCSCTTY, 0);
    for (const fd of [0, 1, 2]) sys.dup2(slave, fd);
    if (slave > 2) sys.close(slave);
  });
}

/** conmon and containerd receive the master over a unix socket with SCM_RIGHTS */
export function sendToConsoleSocket(sys: Sys, socketPath: string, master: number): void {
  step(`send the pty master to --console-socket ${JSON.stringify(socketPath)}`, () => {
    const sock = sys.connectUnix(socketPath);
    try {
      sys.sendFd(sock, master, "/dev/ptmx");
    } finally {
      sys.close(sock);
    }
  });
}
