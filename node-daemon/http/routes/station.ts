import { Hono } from 'hono';
import type { z } from 'zod';
import type { StationView } from '../../../broadcast/station/station-view.js';
import { jsonResponse, type PathsDoc } from '../openapi-doc.js';
import { stationViewSchema } from '../schemas/station.js';

/** What serves `GET /station`: the broadcast station and its schedule. */
export interface StationSource {
  view(): StationView;
}

// The documented shape and the station's type must not drift apart. (Checked here, not beside the schema: the schema
// is read by the UI's type check, which must not load the station's Node code.)
type Mutable<T> = T extends readonly (infer U)[] ? Mutable<U>[] : T extends object ? { -readonly [K in keyof T]: Mutable<T[K]> } : T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShape: Same<z.output<typeof stationViewSchema>, Mutable<StationView>> = true;
void sameShape;

export function stationRoutes(source: StationSource): Hono {
  return new Hono().get('/station', (c) => c.json(source.view(), 200));
}

export const stationPaths: PathsDoc = {
  '/station': {
    get: {
      operationId: 'getStation',
      summary: 'The broadcast station: what each loudspeaker plays and what waits, and the scheduled programmes',
      description:
        'Priority on the loudspeakers: evacuate > prepare > county notices, operator messages and all-clears > scheduled programmes. ' +
        'An alarm cuts a scheduled programme at once and the programme does not resume (journal: `station.programme_cut`). ' +
        '`programmes[].last` says what became of the last due time (queued, still on the air, file missing, failed: the file cannot be decoded, missed while the box was off).',
      responses: { '200': jsonResponse('the station', stationViewSchema) },
    },
  },
};
