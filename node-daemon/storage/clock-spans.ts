import type { Db } from './database.js';

/** One span's correction: add `offsetMs` to what it stamped (health/clock-trust-plan.ts `correctionPlan`). */
export interface SpanOffset {
  readonly span: number;
  readonly offsetMs: number;
}

export interface CorrectionCounts {
  /** Readings whose `ts` was corrected and mark cleared. */
  readonly readings: number;
  /** Alarm transitions whose `ts` (and cause's reading time) was corrected. */
  readonly transitions: number;
  /** Alarms with at least one time field corrected (raised, acknowledged, cleared, shelved until, updated). */
  readonly alarms: number;
}

interface SpanRow {
  id: number;
  state: 'open' | 'closed' | 'corrected' | 'abandoned';
  transitions_after: number;
  transitions_last: number | null;
}

/**
 * `clock_spans` and the marks on readings (migration 13, storage/clock-migration.ts). Every write is one statement or
 * one transaction on the daemon's only writing connection.
 */
export class ClockSpanStore {
  private readonly s;
  private readonly correctTx: (plan: readonly SpanOffset[], now: number) => CorrectionCounts;

  constructor(db: Db) {
    this.s = {
      abandon: db.prepare<[]>(
        `UPDATE clock_spans SET state = 'abandoned',
           transitions_last = coalesce(transitions_last, (SELECT coalesce(max(id), 0) FROM alarm_transitions))
         WHERE state IN ('open', 'closed')`,
      ),
      open: db.prepare<[number]>(
        `INSERT INTO clock_spans (opened_at, state, after_seq, transitions_after)
         VALUES (?, 'open', (SELECT coalesce(max(seq), 0) FROM change_log), (SELECT coalesce(max(id), 0) FROM alarm_transitions))`,
      ),
      close: db.prepare<[number]>(
        `UPDATE clock_spans SET state = 'closed', transitions_last = (SELECT coalesce(max(id), 0) FROM alarm_transitions)
         WHERE id = ? AND state = 'open'`,
      ),
      get: db.prepare<[number], SpanRow>('SELECT id, state, transitions_after, transitions_last FROM clock_spans WHERE id = ?'),
      maxTransition: db.prepare<[], { v: number }>('SELECT coalesce(max(id), 0) AS v FROM alarm_transitions'),
      held: db.prepare<[], { v: number | null }>("SELECT min(after_seq) AS v FROM clock_spans WHERE state IN ('open', 'closed')"),
      marked: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM readings WHERE clock_span IS NOT NULL'),
      readings: db.prepare<[number, number]>('UPDATE readings SET ts = ts + ?, clock_span = NULL WHERE clock_span = ?'),
      transitions: db.prepare<[number, number, number, number]>(
        `UPDATE alarm_transitions SET ts = ts + ?,
           cause = CASE WHEN json_type(cause, '$.readingTs') IN ('integer', 'real')
                        THEN json_set(cause, '$.readingTs', json_extract(cause, '$.readingTs') + ?) ELSE cause END
         WHERE id > ? AND id <= ?`,
      ),
      alarmField: (['raised_at:raised', 'acknowledged_at:acknowledged', 'cleared_at:cleared', 'shelved_until:shelved'] as const).map((spec) => {
        const [column, type] = spec.split(':') as [string, string];
        return db.prepare<[number, number, number]>(
          `UPDATE alarms SET ${column} = ${column} + ? WHERE ${column} IS NOT NULL
             AND id IN (SELECT alarm_id FROM alarm_transitions WHERE id > ? AND id <= ? AND type = '${type}')`,
        );
      }),
      alarmUpdated: db.prepare<[number, number, number, number]>(
        `UPDATE alarms SET updated_at = updated_at + ?
         WHERE id IN (SELECT alarm_id FROM alarm_transitions WHERE id > ? AND id <= ?)
           AND (SELECT max(t.id) FROM alarm_transitions t WHERE t.alarm_id = alarms.id) <= ?`,
      ),
      touchedAlarms: db.prepare<[number, number], { n: number }>(
        'SELECT count(DISTINCT alarm_id) AS n FROM alarm_transitions WHERE id > ? AND id <= ?',
      ),
      done: db.prepare<[number, number, number, number, number, number]>(
        `UPDATE clock_spans SET state = 'corrected', offset_ms = ?, corrected_at = ?, readings = ?, alarms = ?,
           transitions_last = coalesce(transitions_last, ?) WHERE id = ?`,
      ),
    };
    this.correctTx = db.transaction((plan: readonly SpanOffset[], now: number): CorrectionCounts => {
      let readings = 0;
      let transitions = 0;
      let alarms = 0;
      for (const { span, offsetMs } of plan) {
        const row = this.s.get.get(span);
        if (row === undefined || row.state === 'corrected' || row.state === 'abandoned') continue;
        const last = row.transitions_last ?? this.s.maxTransition.get()!.v;
        const n = this.s.readings.run(offsetMs, span).changes;
        let t = 0;
        let a = 0;
        if (last > row.transitions_after) {
          a = this.s.touchedAlarms.get(row.transitions_after, last)!.n;
          // Alarm rows first (they find their transitions by id, which do not move), then the transitions.
          for (const st of this.s.alarmField) st.run(offsetMs, row.transitions_after, last);
          this.s.alarmUpdated.run(offsetMs, row.transitions_after, last, last);
          t = this.s.transitions.run(offsetMs, offsetMs, row.transitions_after, last).changes;
        }
        this.s.done.run(offsetMs, now, n, a, last, span);
        readings += n;
        transitions += t;
        alarms += a;
      }
      return { readings, transitions, alarms };
    });
  }

  /** At start: spans an earlier boot left uncorrected can never be (see the migration); their marks stay. */
  abandonOpen(): number {
    return this.s.abandon.run().changes;
  }

  /** Opens a span now (wall `now`, for the record); returns its id. */
  open(now: number): number {
    return Number(this.s.open.run(now).lastInsertRowid);
  }

  /** The wall clock stepped: this span ends here (its alarm transitions are those written so far). */
  close(span: number): void {
    this.s.close.run(span);
  }

  /** Corrects each span of the plan in one transaction: readings (`ts` += offset, mark cleared), alarm transitions, alarms. */
  correct(plan: readonly SpanOffset[], now: number): CorrectionCounts {
    return this.correctTx(plan, now);
  }

  /**
   * The change-log seq after which readings batches wait for a correction (a span of this boot is open or closed
   * and not corrected), or undefined when none waits.
   */
  heldAfterSeq(): number | undefined {
    return this.s.held.get()?.v ?? undefined;
  }

  /** Readings still marked (this boot's waiting ones and abandoned ones). */
  markedReadings(): number {
    return this.s.marked.get()!.n;
  }
}
