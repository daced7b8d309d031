// Bench helper for synth.ts: the seeded PRNG and the sensor population's normal levels and
// excursion targets (set around the bundled rule levels).

/** mulberry32: small seeded PRNG (deterministic across runs and Node versions). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Stream: a sensor or grid point: a baseline with noise, and an excursion (drift over a limit and back). */
export interface Stream {
  base: number;
  noise: number;
  target: number;
  excLen: number;
  excPos: number;
  lo: number;
  hi: number;
  decimals: number;
}

/** SENSOR_MIX: share of each sensor type among the synthetic sensors. */
export const SENSOR_MIX: Array<[string, number]> = [
  ['CH4', 0.5], ['CO', 0.12], ['O2', 0.1], ['CO2', 0.08], ['H2S', 0.03], ['WIND', 0.07], ['TEMP', 0.05], ['DUST', 0.05],
];
/** LOCATIONS: where each sensor type is installed. */
export const LOCATIONS: Record<string, string[]> = {
  CH4: ['coal_face_upper_corner', 'coal_face', 'heading_face', 'shearer', 'coal_face_return', 'heading_return', 'intake', 'drainage_roadway', 'total_return'],
  CO: ['coal_face_return', 'heading_return', 'total_return', 'belt_roadway'],
  O2: ['coal_face', 'heading_face', 'intake', 'total_return', 'coal_face_return'],
  CO2: ['intake', 'coal_face', 'coal_face_return', 'heading_return', 'total_return'],
  H2S: ['coal_face', 'heading_face', 'coal_face_return'],
  WIND: ['coal_face_return', 'heading_return', 'intake', 'total_return'],
  TEMP: ['coal_face', 'belt_roadway', 'pump_room'],
  DUST: ['coal_face', 'shearer', 'belt_roadway'],
};
/** UNITS: the unit each sensor type reports in. */
export const UNITS: Record<string, string> = { CH4: '%', CO: 'ppm', O2: '%', CO2: '%', H2S: 'ppm', WIND: 'm/s', TEMP: 'C', DUST: 'mg/m3' };

/** Normal level, noise and excursion target of a sensor (targets sit around the bundled rule levels). */
export function sensorProfile(type: string, location: string, rnd: () => number): { base: number; noise: number; target: () => number; lo: number; hi: number; decimals: number } {
  const u = (a: number, b: number) => a + (b - a) * rnd();
  switch (type) {
    case 'CH4': {
      const lim = location === 'intake' ? 0.4 : location === 'drainage_roadway' ? 2.0 : location === 'total_return' ? 0.6 : 0.8;
      return { base: lim * u(0.1, 0.45), noise: lim * 0.04, target: () => lim * u(1.0, 2.0), lo: 0, hi: 100, decimals: 2 };
    }
    case 'CO':
      return { base: u(0, 8), noise: 0.8, target: () => u(20, 55), lo: 0, hi: 1000, decimals: 1 };
    case 'O2':
      return { base: u(20.4, 20.9), noise: 0.05, target: () => u(17.6, 19.5), lo: 0, hi: 25, decimals: 2 };
    case 'CO2': {
      const lim = location === 'intake' ? 0.4 : location === 'total_return' ? 0.6 : 1.2;
      return { base: lim * u(0.15, 0.5), noise: lim * 0.03, target: () => lim * u(1.0, 1.6), lo: 0, hi: 100, decimals: 2 };
    }
    case 'H2S':
      return { base: u(0, 1.5), noise: 0.2, target: () => u(5, 8), lo: 0, hi: 100, decimals: 1 };
    case 'WIND':
      return { base: u(0.8, 3.5), noise: 0.1, target: () => u(0.2, 0.5), lo: 0, hi: 20, decimals: 2 };
    case 'TEMP':
      return { base: u(18, 28), noise: 0.3, target: () => u(30, 35), lo: -20, hi: 80, decimals: 1 };
    default:
      return { base: u(1, 6), noise: 0.5, target: () => u(10, 20), lo: 0, hi: 1000, decimals: 1 };
  }
}

/** shuffle: Fisher–Yates with the given PRNG. */
export function shuffle<T>(xs: T[], r: () => number): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = xs[i]!;
    xs[i] = xs[j]!;
    xs[j] = t;
  }
}

/** pick: a weighted choice; `r` in [0, 1). */
export function pick<T>(items: readonly [T, number][], r: number): T {
  let acc = 0;
  for (const [v, w] of items) {
    acc += w;
    if (r < acc) return v;
  }
  return items[items.length - 1]![0];
}
