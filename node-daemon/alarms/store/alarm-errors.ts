/**
 * Why the store refused an operator's (or a rule's) request. `not_found`: no alarm has that id; `invalid_transition`:
 * the alarm exists but is in a state that does not allow the step (the API answers 409 with the message).
 */
export type AlarmErrorCode = 'not_found' | 'invalid_transition';

export class AlarmError extends Error {
  override readonly name = 'AlarmError';

  constructor(
    readonly code: AlarmErrorCode,
    message: string,
    readonly alarmId?: number,
  ) {
    super(message);
  }
}

export function isAlarmError(err: unknown): err is AlarmError {
  return err instanceof AlarmError;
}
