/**
 * One count-recomputing issue operation at a time per project, within a
 * process: a scan, a merge or an unmerge each read occurrences and then write
 * counts, and would otherwise overwrite one another's. Status changes and
 * comments need no turn here: they are control-plane transactions. In the
 * distributed deployment Temporal runs one scan per project at a time.
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
