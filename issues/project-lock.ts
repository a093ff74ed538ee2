/**
 * One issue operation at a time per project, within a process: a scan, a
 * status change, a merge or an unmerge each read and then write, and would
 * otherwise overwrite one another's rows. The embedded deployment runs every
 * one of them in this process; in the distributed one, Temporal runs one scan
 * per project at a time and the api role serializes its own writes here.
 */
export class ProjectLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(projectId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(projectId) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(projectId, tail);
    void tail.then(() => {
      if (this.tails.get(projectId) === tail) this.tails.delete(projectId);
    });
    return result;
  }
}
