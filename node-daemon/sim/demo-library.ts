import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { LibraryConfig } from '../../broadcast/library/library-config.js';
import type { Logger } from '../core/log.js';
import type { Clock } from '../core/types.js';
import { LibraryService } from '../library/library-service.js';
import { LibraryStore } from '../library/library-store.js';
import type { ImportReport } from '../library/usb-import.js';
import { openDatabase } from '../storage/database.js';
import { chinesePdf } from './demo-pdf.js';

/**
 * The embedded demo's farm-content library: a few small files made at start on a simulated USB stick
 * (`<data>/demo/usb`), in folders that become their categories, imported through the library's own USB import (the
 * same path as `POST /api/v1/library/import`), so 资料 has items to browse and to find in Chinese. A second stick
 * (`<data>/demo/usb-more`) is left for the operator to import from the UI: one new file, one duplicate, one cut PDF.
 */

export const DEMO_USB = 'usb';
export const DEMO_USB_MORE = 'usb-more';

const NOTICE = [
  '关于做好汛期值班值守工作的通知',
  '',
  '各村委会：',
  '入汛以来，我镇降雨偏多，河道水位持续上涨。请各村严格落实24小时值班制度，',
  '值班人员保持通讯畅通，发现险情立即报告镇防汛办（电话：0000-1234567）。',
  '沿河低洼地带群众请留意广播和显示屏通知，听到「立即转移」警报后按指定路线撤离。',
  '',
  '演示乡镇人民政府',
].join('\n');

const PRICES = [
  '品名,单位,最低价,最高价,平均价',
  '玉米,元/公斤,2.30,2.46,2.38',
  '小麦,元/公斤,2.52,2.60,2.56',
  '稻谷,元/公斤,2.70,2.86,2.78',
  '生猪,元/公斤,14.80,15.60,15.20',
  '鸡蛋,元/公斤,8.40,9.20,8.80',
  '',
].join('\n');

const PEST_PDF = [
  '玉米病虫害防治',
  '一、玉米螟：心叶末期撒施颗粒剂，或释放赤眼蜂防治。',
  '二、草地贪夜蛾：加强田间调查，幼虫低龄期及时用药。',
  '三、大斑病、小斑病：选用抗病品种，发病初期喷施杀菌剂。',
  '四、注意轮换用药，按标签剂量使用，采收前遵守安全间隔期。',
  '（演示资料，内容仅供参考）',
];

const PIG_NOTICE = ['生猪防疫要点', '', '一、按程序接种疫苗，做好免疫记录。', '二、圈舍每周消毒一次，外来人员车辆严格消毒。', '三、发现病死猪及时报告，不得随意丢弃。', ''].join('\n');

/** Runs ffmpeg to make `out` (written beside it first, renamed when whole); false when it fails. */
function ffmpegMake(args: readonly string[], out: string): Promise<boolean> {
  // A dot-file beside it: the USB import never reads a half-made one.
  const partial = join(dirname(out), `.${basename(out)}.partial${out.slice(out.lastIndexOf('.'))}`);
  return new Promise((done) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args, partial], { stdio: 'ignore' });
    child.once('error', () => done(false));
    child.once('close', (code) => {
      if (code === 0) renameSync(partial, out);
      else rmSync(partial, { force: true });
      done(code === 0);
    });
  });
}

function writeOnce(path: string, bytes: string | Buffer): void {
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/**
 * Makes the sample files under `demoDir` when they are missing (kept across runs, so their bytes and the library's
 * duplicate check stay the same). The video and image need ffmpeg; without it they are left out.
 */
export async function makeDemoLibraryFiles(demoDir: string, withFfmpeg: boolean, log: Logger): Promise<{ usb: string; usbMore: string }> {
  const usb = join(resolve(demoDir), DEMO_USB);
  const usbMore = join(resolve(demoDir), DEMO_USB_MORE);
  writeOnce(join(usb, '通知公告', '关于做好汛期值班值守工作的通知.txt'), NOTICE);
  writeOnce(join(usb, '市场行情', '今日农产品价格.csv'), PRICES);
  writeOnce(join(usb, '种植技术', '玉米病虫害防治.pdf'), chinesePdf(PEST_PDF));
  writeOnce(join(usbMore, '养殖技术', '生猪防疫要点.txt'), PIG_NOTICE);
  writeOnce(join(usbMore, '市场行情', '今日农产品价格（副本）.csv'), PRICES);
  // A PDF cut short on its way to the stick: the import reports it as corrupt.
  writeOnce(join(usbMore, '种植技术', '小麦赤霉病防治（损坏）.pdf'), chinesePdf(['小麦赤霉病防治', '抽穗扬花期是防治关键期。']).subarray(0, 400));
  if (withFfmpeg) {
    const video = join(usb, '种植技术', '玉米田间管理.mp4');
    if (!existsSync(video)) {
      mkdirSync(dirname(video), { recursive: true });
      const ok = await ffmpegMake(
        [
          '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=523:sample_rate=48000', '-t', '6',
          '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', '-movflags', '+faststart', '-f', 'mp4',
        ],
        video,
      );
      if (!ok) log.warn({ event: 'demo.library_video_failed' }, 'demo library: ffmpeg could not make the sample video');
    }
    const image = join(usb, '图片', '水稻插秧示意图.png');
    if (!existsSync(image)) {
      mkdirSync(dirname(image), { recursive: true });
      await ffmpegMake(['-f', 'lavfi', '-i', 'testsrc=size=480x320', '-frames:v', '1', '-f', 'image2'], image);
    }
  } else {
    log.warn({ event: 'demo.library_no_ffmpeg', missing: 'ffmpeg' }, 'demo library: no sample video or image (ffmpeg is not installed)');
  }
  return { usb, usbMore };
}

/**
 * Imports `folder` into the library of `dataDir` before the daemon opens it, through LibraryService.importFolder
 * (the API's own path: the mount check, hashing, probing, duplicates). Run again on each start, the files come back
 * as duplicates and nothing changes; an item the operator deleted comes back.
 */
export async function importDemoLibrary(opts: { readonly dataDir: string; readonly folder: string; readonly config: LibraryConfig; readonly log: Logger; readonly clock: Clock }): Promise<ImportReport> {
  const { db } = openDatabase({ dataDir: opts.dataDir, log: opts.log, clock: opts.clock });
  try {
    const service = new LibraryService({ store: new LibraryStore(db), dataDir: opts.dataDir, config: opts.config, clock: opts.clock, log: opts.log });
    const report = await service.importFolder(opts.folder);
    opts.log.info(
      { event: 'demo.library', folder: opts.folder, imported: report.imported.length, duplicates: report.duplicates.length, corrupt: report.corrupt.length, skipped: report.skipped.length },
      `demo library: ${report.imported.length} sample items imported from ${opts.folder} (${report.duplicates.length} already there)`,
    );
    return report;
  } finally {
    db.close();
  }
}
