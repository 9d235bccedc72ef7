/**
 * Keeps the UI's alarms from going back in time. Snapshots of the active alarms arrive from fetches that overlap
 * (the live stream's refetch, the one after an acknowledgement, the one after a reconnect) and can land out of order;
 * an alarm's `updatedAt` grows with every change, so an older copy never replaces a newer one, and a list whose
 * request started before the list already shown is dropped. Pure: no DOM, no fetch (unit-tested in alarm-book.test.ts).
 */
export interface AlarmVersion {
  readonly id: number;
  readonly updatedAt: number;
  readonly state: string;
}

/** The newer of two copies of one alarm; `incoming` wins a tie (same version, maybe more fields). */
export function newer<T extends AlarmVersion>(known: T | undefined, incoming: T): T {
  return known !== undefined && known.updatedAt > incoming.updatedAt ? known : incoming;
}

export class AlarmBook<T extends AlarmVersion> {
  /** The newest copy seen of every alarm, from any source. */
  private readonly known = new Map<number, T>();
  private started = 0;
  private applied = 0;

  /** Call when a request for the active list starts; pass the number to `applyActive` with its answer. */
  begin(): number {
    return ++this.started;
  }

  /**
   * The active list to show after the answer to request `seq`, or undefined to keep `current` (the answer is older
   * than the list shown). Each alarm is the newest copy seen; one that a newer copy says is cleared is left out.
   */
  applyActive(seq: number, list: readonly T[], current: readonly T[]): T[] | undefined {
    if (seq < this.applied) {
      // Stale as a list; its alarms may still be news (patch those shown, never resurrect).
      const patched = this.patch(list, current);
      return patched === current ? undefined : patched.slice();
    }
    this.applied = seq;
    const out: T[] = [];
    for (const a of list) {
      const best = newer(this.known.get(a.id), a);
      this.known.set(a.id, best);
      if (best.state !== 'cleared') out.push(best);
    }
    return out;
  }

  /**
   * One alarm seen outside the list (the answer to an acknowledgement, GET /alarms/:id): `current` with it replaced
   * when it is newer, removed when the newer copy is cleared. An alarm not shown is not added (the next list does).
   * Returns `current` itself when nothing changed.
   */
  note(alarm: T, current: readonly T[]): readonly T[] {
    return this.patch([alarm], current);
  }

  /** Forget everything (logout). */
  reset(): void {
    this.known.clear();
    this.applied = this.started;
  }

  private patch(alarms: readonly T[], current: readonly T[]): readonly T[] {
    let changed = false;
    for (const a of alarms) {
      const best = newer(this.known.get(a.id), a);
      this.known.set(a.id, best);
    }
    const out: T[] = [];
    for (const c of current) {
      const best = newer(this.known.get(c.id), c);
      if (best !== c) changed = true;
      if (best.state === 'cleared') continue;
      out.push(best);
    }
    return changed ? out : current;
  }
}
