import type { MigrationStep } from '../store/migration-step.js';

/**
 * v10: the boxes' camera pictures the hub holds (docs/sync.md "Camera pictures to the hub"). A row is written when a
 * picture is announced (its thumbnail is then on disk under `<dataDir>/images/<box>/<dbId>/<id>.thumb.jpg`);
 * `full_received_at` is set when the full image's last byte arrived and matched `full_sha256`. Its alarm links only
 * grow. Rows go with their files when retention (hub config `images.keepDays`, by `received_at`) lets them go.
 */
export const IMAGES_MIGRATION: MigrationStep = {
  version: 10,
  name: 'hub_box_images, hub_box_image_alarms: the boxes\' camera pictures held under <dataDir>/images and the alarms they belong to',
  sql: [
    `CREATE TABLE hub_box_images (
      box_id TEXT NOT NULL,
      db_id TEXT NOT NULL,
      image_id BIGINT NOT NULL,
      camera_id TEXT NOT NULL,
      site_id TEXT NOT NULL,
      ts BIGINT NOT NULL,
      cause TEXT NOT NULL CHECK (cause IN ('schedule', 'alarm')),
      thumb_bytes INTEGER NOT NULL,
      full_size BIGINT NOT NULL,
      full_sha256 TEXT NOT NULL,
      full_received_at BIGINT,
      received_at BIGINT NOT NULL,
      PRIMARY KEY (box_id, db_id, image_id)
    ){noRowid}`,
    // A box's pictures (of one site) newest first; retention by arrival.
    `CREATE INDEX hub_box_images_site_ts ON hub_box_images (box_id, site_id, ts)`,
    `CREATE INDEX hub_box_images_box_ts ON hub_box_images (box_id, ts)`,
    `CREATE INDEX hub_box_images_received ON hub_box_images (received_at)`,
    `CREATE TABLE hub_box_image_alarms (
      box_id TEXT NOT NULL,
      db_id TEXT NOT NULL,
      image_id BIGINT NOT NULL,
      alarm_id BIGINT NOT NULL,
      transition_id BIGINT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('before', 'at', 'after')),
      PRIMARY KEY (box_id, db_id, image_id, alarm_id, transition_id)
    ){noRowid}`,
    // An alarm's pictures.
    `CREATE INDEX hub_box_image_alarms_alarm ON hub_box_image_alarms (box_id, db_id, alarm_id)`,
  ],
};
