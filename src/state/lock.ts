// One flock(2) per container directory: concurrent tsrunc calls on the same id serialize
// (containerd may send kill and delete at once). The lock dies with the process.
import * as fs from "node:fs";
import { LOCK_EX, type Sys } from "../sys";

export function lockDir(sys: Sys, dir: string): number {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | 0o2000000);
  sys.flock(fd, LOCK_EX);
  return fd;
}
