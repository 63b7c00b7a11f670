// A small synchronous D-Bus client: SASL EXTERNAL authentication, Hello on a message bus, method
// calls with replies, and waiting for a signal. tsrunc is a short-lived, single-threaded process
// that needs a handful of calls to systemd, so every call blocks until its answer or a deadline.
import * as fs from "node:fs";
import { decodeMessage, encodeMessage, messageLength, type Message } from "./message";
import { ERROR, METHOD_CALL, METHOD_RETURN, SIGNAL, type DBusValue } from "./wire";

/** the part of Sys the bus needs (src/sys: connectUnix gives a blocking AF_UNIX stream fd) */
export interface BusSys {
  connectUnix(path: string): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  close(fd: number): void;
}

/** a byte stream; `read` returns an empty buffer when nothing is there yet */
export interface Transport {
  read(): Buffer;
  write(b: Buffer): void;
  close(): void;
}

/** An error reply: `errorName` is the D-Bus error name callers test (org.freedesktop.systemd1.NoSuchUnit). */
export class DBusError extends Error {
  constructor(readonly errorName: string, detail: string) {
    super(`${errorName}${detail ? ": " + detail : ""}`);
    this.name = "DBusError";
  }
}

const F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0o4000;

/**
 * The fd is switched to O_NONBLOCK so every wait has a deadline: a blocked read on a bus that
 * never answers would hang `create` forever (runc gives systemd 30 s per job).
 */
export function fdTransport(sys: BusSys, fd: number): Transport {
  sys.fcntl(fd, F_SETFL, sys.fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
  const chunk = Buffer.alloc(64 * 1024);
  return {
    read() {
      try {
        const n = fs.readSync(fd, chunk, 0, chunk.length, null);
        if (n === 0) throw new Error("the peer closed the connection");
        return Buffer.from(chunk.subarray(0, n));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") return Buffer.alloc(0);
        throw e;
      }
    },
    write(b) {
      for (let off = 0; off < b.length;) {
        try {
          off += fs.writeSync(fd, b, off, b.length - off);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
          Bun.sleepSync(1);
        }
      }
    },
    close: () => sys.close(fd),
  };
}

export interface Address { path: string; /** a peer-to-peer socket (systemd's private one): no bus daemon, no Hello */ direct: boolean }

/** "unix:path=/run/dbus/system_bus_socket,guid=…;…" → the unix paths it lists (spec: "Server Addresses") */
export function parseAddress(address: string): Address[] {
  const out: Address[] = [];
  for (const part of address.split(";").filter(Boolean)) {
    const colon = part.indexOf(":");
    const transport = part.slice(0, colon);
    const kv = new Map(part.slice(colon + 1).split(",").filter(Boolean).map((p) => {
      const eq = p.indexOf("=");
      return [p.slice(0, eq), decodeURIComponent(p.slice(eq + 1))] as [string, string];
    }));
    if (transport === "unix" && kv.has("path")) out.push({ path: kv.get("path")!, direct: kv.get("path")!.endsWith("/systemd/private") });
  }
  if (out.length === 0) throw new Error(`D-Bus address ${JSON.stringify(address)}: no unix:path= entry (abstract and tcp addresses are not supported)`);
  return out;
}

export class Connection {
  private serial = 0;
  private inbuf = Buffer.alloc(0);
  private readonly signals: Message[] = [];

  private constructor(private readonly t: Transport, readonly address: string) {}

  /** authenticates, and on a message bus says Hello; `uid` is the caller's (EXTERNAL sends it) */
  static open(t: Transport, opts: { direct: boolean; uid: number; timeoutMs?: number; address?: string }): Connection {
    const c = new Connection(t, opts.address ?? "");
    try {
      c.authenticate(opts.uid, opts.timeoutMs ?? 5000);
      if (!opts.direct) c.call({ destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "Hello" }, opts.timeoutMs);
    } catch (e) {
      t.close();
      throw e;
    }
    return c;
  }

  close(): void { this.t.close(); }

  // SASL (spec: "Authentication Protocol"): a NUL byte first, then EXTERNAL with the uid as the
  // hex of its decimal digits; the kernel's SO_PEERCRED is what the server checks it against.
  // BEGIN goes in the same write, as sd-bus clients send it: systemd 252's server, when BEGIN and
  // the first message arrive in one read, left that message unanswered until more bytes came
  // (seen here on the private socket: 6 calls of 20 hung when BEGIN followed the OK).
  private authenticate(uid: number, timeoutMs: number): void {
    const hex = Buffer.from(String(uid)).toString("hex");
    this.t.write(Buffer.from(`\0AUTH EXTERNAL ${hex}\r\nBEGIN\r\n`));
    const line = this.readLine(Date.now() + timeoutMs);
    if (!line.startsWith("OK ")) throw new Error(`authentication as uid ${uid} refused: ${JSON.stringify(line)}`);
  }

  private readLine(deadline: number): string {
    for (;;) {
      const nl = this.inbuf.indexOf("\r\n");
      if (nl >= 0) {
        const line = this.inbuf.toString("latin1", 0, nl);
        this.inbuf = this.inbuf.subarray(nl + 2);
        return line;
      }
      this.fill(deadline, "the authentication answer");
    }
  }

  private fill(deadline: number, what: string): void {
    for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
      const b = this.t.read();
      if (b.length > 0) { this.inbuf = Buffer.concat([this.inbuf, b]); return; }
      if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
      Bun.sleepSync(wait);
    }
  }

  private next(deadline: number, what: string): Message {
    for (;;) {
      const len = messageLength(this.inbuf);
      if (len !== undefined && this.inbuf.length >= len) {
        const m = decodeMessage(this.inbuf.subarray(0, len));
        this.inbuf = this.inbuf.subarray(len);
        return m;
      }
      this.fill(deadline, what);
    }
  }

  /** sends a method call and returns the reply's body; an error reply throws DBusError */
  call(m: { destination?: string; path: string; interface: string; member: string; signature?: string; body?: DBusValue[] }, timeoutMs = 30_000): DBusValue[] {
    const serial = ++this.serial;
    this.t.write(encodeMessage({ type: METHOD_CALL, flags: 0, serial, ...m, signature: m.signature ?? "", body: m.body ?? [] }));
    const deadline = Date.now() + timeoutMs;
    const what = `the reply to ${m.interface}.${m.member}`;
    for (;;) {
      const r = this.next(deadline, what);
      if (r.type === SIGNAL) { this.keep(r); continue; }
      if ((r.type !== METHOD_RETURN && r.type !== ERROR) || r.replySerial !== serial) continue;
      if (r.type === ERROR) throw new DBusError(r.errorName ?? "org.freedesktop.DBus.Error.Failed", typeof r.body[0] === "string" ? r.body[0] : "");
      return r.body;
    }
  }

  // signals that arrive while waiting for something else; bounded, as a subscribed connection
  // sees every unit change on the host
  private keep(m: Message): void {
    this.signals.push(m);
    if (this.signals.length > 256) this.signals.shift();
  }

  /** the first signal, already received or still to come, that `match` accepts */
  waitSignal(match: (m: Message) => boolean, timeoutMs: number, what: string): Message {
    const queued = this.signals.findIndex(match);
    if (queued >= 0) return this.signals.splice(queued, 1)[0];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.next(deadline, what);
      if (m.type !== SIGNAL) continue;
      if (match(m)) return m;
      this.keep(m);
    }
  }
}
