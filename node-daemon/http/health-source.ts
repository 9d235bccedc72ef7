import type { HealthSnapshot, SensorHealth } from '../health/health-types.js';

/** What the health, sensors and sites routes read the box's state from (the status registry). */
export interface HealthSource {
  snapshot(): HealthSnapshot;
  sensor(id: string): SensorHealth | undefined;
}
