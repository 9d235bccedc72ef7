import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where the hub keeps the boxes' camera pictures: `<dataDir>/images/<box>/<dbId>/` (hub/images/receiver.ts). */
export function imagesDir(config: { readonly dataDir: string }): string {
  return join(config.dataDir, 'images');
}

const BOX_DIR = /^[a-z0-9][a-z0-9-]*$/;
const DB_DIR = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A thumbnail or a verified full image; never a `.part` still arriving. */
const PICTURE_FILE = /^\d{1,15}(\.thumb)?\.jpg$/;

/** Every kept picture file under `dir`, as `<box>/<dbId>/<file>`, sorted (what a hub backup copies). */
export function keptPictureFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const box of readdirSync(dir, { withFileTypes: true })) {
    if (!box.isDirectory() || !BOX_DIR.test(box.name)) continue;
    for (const db of readdirSync(join(dir, box.name), { withFileTypes: true })) {
      if (!db.isDirectory() || !DB_DIR.test(db.name)) continue;
      for (const f of readdirSync(join(dir, box.name, db.name), { withFileTypes: true })) {
        if (f.isFile() && PICTURE_FILE.test(f.name)) out.push(`${box.name}/${db.name}/${f.name}`);
      }
    }
  }
  return out.sort();
}
