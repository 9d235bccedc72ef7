import { z } from 'zod';

/** Ids of buses, sensors, sites, outputs...: they end up in keys, URLs and file names, so one plain alphabet. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const ID_RULE = 'ids are 1-64 characters: lower-case letters, digits, "-" and "_", starting with a letter or digit';

export const idSchema = z.string().regex(ID_PATTERN, ID_RULE);
