import { test, expect, describe, afterEach } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { tsrunc, ok, newId, bundle, waitFor, cleanup, statusField } from "./helpers";

afterEach(cleanup);

// conmon's side of --console-socket, in Python: accept, take the fd from SCM_RIGHTS, copy the
// terminal's output to a file until EIO
const RECEIVER = `
import socket, sys, os
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); srv.bind(sys.argv[1]); srv.listen(1)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
out = open(sys.argv[2], "wb")
try:
    while True:
        d = os.read(fds[0], 4096)
        if not d: break
        out.write(d); out.flush()
except OSError:
    pass
`;

describe("terminals", () => {
  test("run -t without a console socket proxies the terminal; the container sees a tty", () => {
    const r = tsrunc(["run", "-b", bundle(["sh", "-c", "tty; [ -t 0 ] && echo stdin-is-a-tty; ls -l /dev/console; exit 5"], (c) => { c.process.terminal = true; }), newId("tty")]);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain("/dev/pts/0");
    expect(r.stdout).toContain("stdin-is-a-tty");
    expect(r.stdout).toMatch(/c\S+\s+1 root\s+\S+\s+136,\s+0 .*\/dev\/console/);
  });

  test("--console-socket sends the pty master with SCM_RIGHTS, as conmon and containerd receive it", async () => {
    const id = newId("consock");
    const b = bundle(["sh", "-c", "echo hello-from-the-tty; sleep 30"], (c) => { c.process.terminal = true; c.process.consoleSize = { height: 30, width: 100 }; });
    const sock = path.join(b, "console.sock"), out = path.join(b, "tty.out"), script = path.join(b, "recv.py");
    fs.writeFileSync(script, RECEIVER);
    const receiver = Bun.spawn(["python3", script, sock, out], { stdio: ["ignore", "ignore", "inherit"] });
    try {
      waitFor(() => fs.existsSync(sock), "console socket");
      ok(["create", "-b", b, "--console-socket", sock, id]);
      ok(["start", id]);
      waitFor(() => fs.existsSync(out) && fs.readFileSync(out, "utf8").includes("hello-from-the-tty"), "output through the pty");
      const pid = JSON.parse(ok(["state", id]).stdout).pid;
      expect(fs.readlinkSync(`/proc/${pid}/fd/0`)).toMatch(/^\/dev\/pts\/\d+$/);
      expect(statusField(pid, "NSsid")).toBeTruthy();
    } finally {
      receiver.kill();
      await receiver.exited;
    }
  });

  test("a terminal without a console socket is refused when tsrunc would detach", () => {
    const r = tsrunc(["create", "-b", bundle(["true"], (c) => { c.process.terminal = true; }), newId("notty")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot allocate tty if tsrunc will detach without setting console socket");
  });
});

describe("exec with a terminal", () => {
  test("exec -t gets its own pty in the container; without -t there is none", () => {
    const id = newId("exectty");
    ok(["run", "-d", "-b", bundle(["sleep", "30"]), id], { outFile: `/tmp/tsrunc-test-exectty-${process.pid}.out` });
    fs.rmSync(`/tmp/tsrunc-test-exectty-${process.pid}.out`, { force: true });
    const t = tsrunc(["exec", "-t", id, "sh", "-c", "tty; exit 4"]);
    expect(t.code).toBe(4);
    expect(t.stdout).toMatch(/^\/dev\/pts\/\d+/);
    const n = tsrunc(["exec", id, "tty"]);
    expect(n.stdout).toContain("not a tty");
    const d = tsrunc(["exec", "-t", "-d", id, "true"]);
    expect(d.stderr).toContain("cannot allocate tty if tsrunc will detach without setting console socket");
  });
});

test("exec -t --console-socket: the listener gets the master and reads the exec'd process's tty", async () => {
  const id = newId("execsock");
  const b = bundle(["sleep", "30"]);
  ok(["run", "-d", "-b", b, id], { outFile: path.join(b, "run.out") });
  const sock = path.join(b, "exec.sock"), out = path.join(b, "exec-tty.out"), script = path.join(b, "recv.py");
  fs.writeFileSync(script, RECEIVER);
  const receiver = Bun.spawn(["python3", script, sock, out], { stdio: ["ignore", "ignore", "inherit"] });
  try {
    waitFor(() => fs.existsSync(sock), "console socket");
    ok(["exec", "-t", "-d", "--console-socket", sock, id, "sh", "-c", "tty; sleep 2"]);
    waitFor(() => fs.existsSync(out) && /\/dev\/pts\/\d+/.test(fs.readFileSync(out, "utf8")), "tty name through the pty");
  } finally {
    receiver.kill();
    await receiver.exited;
  }
});
