import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import bearing from '@turf/bearing';
import distance from '@turf/distance';
import { point, polygon } from '@turf/helpers';
import type { Feature, Polygon } from 'geojson';

/** GeoPolygon: a polygon prepared once for point-in-polygon tests. */
export type GeoPolygon = Feature<Polygon>;

/** toPolygon builds a polygon from CAP-style [lat, lon] pairs, closing the ring when needed; undefined when degenerate. */
export function toPolygon(latLons: readonly (readonly [number, number])[]): GeoPolygon | undefined {
  if (latLons.length < 3) return undefined;
  const ring = latLons.map(([lat, lon]) => [lon, lat]);
  const first = ring[0]!;
  const last = ring[ring.length - 1]!;
  if (first[0] !== last[0] || first[1] !== last[1]) ring.push([first[0]!, first[1]!]);
  if (ring.length < 4) return undefined;
  try {
    return polygon([ring]);
  } catch {
    return undefined;
  }
}

/** insideAny tells whether a point lies inside (or on the edge of) any of the polygons. */
export function insideAny(lat: number, lon: number, polys: readonly GeoPolygon[]): boolean {
  const p = point([lon, lat]);
  for (const poly of polys) if (booleanPointInPolygon(p, poly)) return true;
  return false;
}

/** distanceKm is the great-circle distance between two points. */
export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  return distance(point([lon1, lat1]), point([lon2, lat2]), { units: 'kilometers' });
}

/** bearingDeg is the initial bearing from the first point to the second, 0–360° clockwise from north. */
export function bearingDeg(lat1: number, lon1: number, lat2: number, lon2: number): number {
  return (bearing(point([lon1, lat1]), point([lon2, lat2])) + 360) % 360;
}
