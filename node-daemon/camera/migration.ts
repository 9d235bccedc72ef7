import type { Migration } from '../storage/migration.js';

/**
 * Box migration 15: camera pictures (node-daemon/camera). `camera_images`, one row per picture: its camera and site,
 * when (UTC ms), why (`schedule` or `alarm`, then the alarm and transition that asked for it), its files relative to
 * the data folder and their sizes. `camera_image_alarms` ties pictures to alarm transitions: `before` (the latest
 * scheduled picture, taken before the transition), `at` (taken at once) and `after` (taken a delay later); a
 * scheduled picture may be the `before` of several transitions.
 */
export const CAMERA_IMAGES_MIGRATION: Migration = {
  version: 15,
  name: 'camera images',
  up(db) {
    db.exec(`
      CREATE TABLE camera_images (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        camera_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        cause TEXT NOT NULL CHECK (cause IN ('schedule', 'alarm')),
        alarm_id INTEGER,
        transition_id INTEGER,
        file TEXT NOT NULL,
        thumb_file TEXT NOT NULL,
        bytes INTEGER NOT NULL CHECK (bytes >= 0),
        thumb_bytes INTEGER NOT NULL CHECK (thumb_bytes >= 0),
        CHECK ((cause = 'alarm') = (alarm_id IS NOT NULL))
      );
      CREATE INDEX camera_images_site_ts ON camera_images (site_id, ts);
      CREATE INDEX camera_images_camera_ts ON camera_images (camera_id, ts);

      CREATE TABLE camera_image_alarms (
        image_id INTEGER NOT NULL REFERENCES camera_images (id) ON DELETE CASCADE,
        alarm_id INTEGER NOT NULL,
        transition_id INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('before', 'at', 'after')),
        PRIMARY KEY (image_id, transition_id, role)
      ) WITHOUT ROWID;
      CREATE INDEX camera_image_alarms_alarm ON camera_image_alarms (alarm_id);
    `);
  },
};
