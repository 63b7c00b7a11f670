// One flock(2) per container directory: concurrent tsrunc calls on the same id serialize
// (containerd may send kill and delete at once). The lock dies with the process.
import { LOCK_EX, O, type Sys } from "../sys";

export function lockDir(sys: Sys, dir: string): number {
  const fd = sys.open(dir, O.RDONLY | O.DIRECTORY | O.CLOEXEC, 0);
  sys.flock(fd, LOCK_EX);
  return fd;
}
