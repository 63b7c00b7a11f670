// The read-only verbs (state, list, and the lookup ps/events use): no lock, no koffi, and only
// the state module, because `state` is the call container engines make most often.
import { UsageError } from "../errors";
import { readSaved, stateDir, ociState, listIds, type SavedState } from "../state/state";
import { validateId } from "../spec/id";

/** No lock: state.json is replaced atomically, and `state` is the call clients make most often. */
export function readContainer(root: string, id: string): SavedState {
  if (validateId(id)) throw new UsageError("container does not exist");
  try {
    return readSaved(root, id);
  } catch (e) {
    // state.json unreadable (readSaved says so with the id): runc's words, without a stat first
    if (e instanceof UsageError) throw new UsageError("container does not exist");
    throw e;
  }
}

export function containerState(root: string, id: string): ReturnType<typeof ociState> {
  return ociState(readContainer(root, id), stateDir(root, id));
}

export function listContainers(root: string): ReturnType<typeof ociState>[] {
  const out: ReturnType<typeof ociState>[] = [];
  for (const id of listIds(root)) {
    try {
      out.push(ociState(readSaved(root, id), stateDir(root, id)));
    } catch {
      // a container being created or deleted right now has no readable state: skip it like runc
    }
  }
  return out;
}
