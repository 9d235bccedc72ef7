import { z } from 'zod';

/* Fields that several parts of the configuration (and the API) share. */

/** Ids of buses, sensors, sites, outputs...: they end up in keys, URLs and file names, so one plain alphabet. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const ID_RULE = 'ids are 1-64 characters: lower-case letters, digits, "-" and "_", starting with a letter or digit';

export const idSchema = z.string().regex(ID_PATTERN, ID_RULE);

/** Line speeds a serial port (Modbus RTU bus, I/O board, LED board) may be set to. */
export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;
