import { Hono } from 'hono';
import type { AppDeps } from '../app-deps.js';
import { broadcastPaths, broadcastRoutes } from './broadcast.js';
import { settingsPaths, settingsRoutes, type PathItemWithPut } from './settings.js';
import { sitesPaths, sitesRoutes } from './sites.js';
import { systemPaths, systemRoutes } from './system.js';

/** Which of the web UI's backend routes an app serves (each needs its dependency). */
export interface UiBackendFlags {
  readonly sites?: boolean;
  readonly broadcast?: boolean;
  readonly system?: boolean;
  readonly settings?: boolean;
}

export function uiBackendFlags(deps: AppDeps): Required<UiBackendFlags> {
  return { sites: deps.sites !== undefined, broadcast: deps.broadcast !== undefined, system: deps.system !== undefined, settings: deps.settings !== undefined };
}

/** GET /sites, POST /broadcast/speak|led, GET /system, GET /settings, PUT /settings/alarms|dispatch, GET /audit. */
export function uiBackendRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  if (deps.sites !== undefined) {
    app.route('/', sitesRoutes({
      source: deps.sites,
      sensors: deps.sensors,
      health: deps.health,
      readings: deps.readings,
      ...(deps.alarms === undefined ? {} : { alarms: deps.alarms }),
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    }));
  }
  if (deps.broadcast !== undefined) app.route('/', broadcastRoutes(deps.broadcast));
  if (deps.system !== undefined) app.route('/', systemRoutes({ ...(deps.clock === undefined ? {} : { clock: deps.clock }), ...deps.system }));
  if (deps.settings !== undefined) app.route('/', settingsRoutes(deps.settings));
  return app;
}

/** The OpenAPI path docs of the routes served (all when no flags are given). */
export function uiBackendPaths(flags: UiBackendFlags = {}): Readonly<Record<string, PathItemWithPut>> {
  return {
    ...(flags.sites === false ? {} : sitesPaths),
    ...(flags.broadcast === false ? {} : broadcastPaths),
    ...(flags.system === false ? {} : systemPaths),
    ...(flags.settings === false ? {} : settingsPaths),
  };
}
