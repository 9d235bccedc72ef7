import { Hono } from 'hono';
import type { OutputsSnapshot } from '../../dispatch/outputs-snapshot.js';
import { jsonResponse, type PathsDoc } from '../openapi-doc.js';
import { outputsSnapshotSchema } from '../schemas/outputs.js';

// The answer's schema lives in a module free of Node (the web UI's contract reads it); re-exported from here as before.
export { ledBoardSnapshotSchema, outputsSnapshotSchema, relaySnapshotSchema, speakerSnapshotSchema } from '../schemas/outputs.js';

/** What serves `GET /outputs`; the dispatcher is one. */
export interface OutputsSource {
  outputs(): OutputsSnapshot;
}

export function outputsRoutes(source: OutputsSource): Hono {
  return new Hono().get('/outputs', (c) => c.json(source.outputs(), 200));
}

export const outputsPaths: PathsDoc = {
  '/outputs': {
    get: {
      operationId: 'getOutputs',
      summary: 'Relays, loudspeakers and LED boards: what each was told to do and whether it confirmed',
      description:
        'A relay is confirmed when the I/O board read back the commanded level; an LED board when it acknowledged the text. ' +
        'A failing output also raises an `output_fault` alarm (see /alarms). ' +
        '`silenceOnAck` says, per level, whether acknowledging stops the sound; unlike /settings it is readable by every role.',
      responses: { '200': jsonResponse('every output', outputsSnapshotSchema) },
    },
  },
};
