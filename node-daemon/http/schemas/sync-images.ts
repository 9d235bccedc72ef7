import { z } from 'zod';
import { apiSchemas } from '../api-registry.js';

/** The camera pictures' upload to the county hub: `images` under `sync` in `GET /api/v1/health` (docs/sync.md "Camera pictures to the hub"). Free of Node. */
export const imagesHealthSchema = z
  .strictObject({
    state: z
      .enum(['idle', 'uploading', 'waiting', 'failed', 'unsupported'])
      .describe(
        '`idle`: nothing owed (or only full images sync.images.full does not send); `waiting`: for the link (`waitingFor`); `failed`: retrying after a failure (`lastError`); ' +
          '`unsupported`: the hub takes no pictures (an older hub), asked again after 24 h',
      ),
    waitingFor: z
      .enum(['no_link', 'alarms_waiting', 'health_waiting', 'readings_behind', 'images_waiting', 'over_budget', 'budget_share'])
      .optional()
      .describe('pictures are bulk: they wait while alarm or health records wait, while readings are behind (an alarm\'s pictures excepted), or over the budget; `budget_share`: full images wait while the budget used is over sync.images.fullBudgetShare'),
    thumbsOwed: z.int().describe('pictures whose announcement (with its thumbnail) the hub is owed'),
    fullOwed: z.int().describe('full images the hub is owed, as sync.images.full asks'),
    fullOwedBytes: z.int().describe('their bytes'),
    sentImages: z.int().describe('pictures announced since the box started'),
    sentFull: z.int().describe('full images the hub acknowledged complete since the box started'),
    wireBytes: z.int().describe('picture bytes on the wire since the box started (counted in the sync byte budget)'),
    lastError: z.string().optional(),
  })
  .register(apiSchemas, { id: 'ImagesSyncHealth' });
