// Builds deploy/reference/geo/banner.geojson: SCHEMATIC outlines (示意边界) of the banner and its
// towns for the dashboard map, derived from the reference sites — not surveyed boundaries.
//   node deploy/reference/geo/make-schematic.mjs
// The banner is the convex hull of every site, pushed out by ~12 km; each town is the part of it
// nearest to the centre of its sites (a Voronoi cell, d3-delaunay). Replace the file with surveyed
// GeoJSON (same properties: kind banner|town, id, name) when the county has it.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Delaunay, polygonHull, polygonCentroid } from 'd3';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const doc = parse(readFileSync(here('../sites.yaml'), 'utf8'));
const sites = Array.isArray(doc) ? doc : doc.sites;
const TOWN_NAMES = { shanghaimiao: '上海庙镇', aolezhaoqi: '敖勒召其镇', chengchuan: '城川镇', angsu: '昂素镇', 'shanghaimiao-edz': '上海庙经济开发区' };

const hull = polygonHull(sites.map((s) => [s.lon, s.lat]));
const [cx, cy] = polygonCentroid(hull);
const PAD = 0.12; // degrees (~12 km)
const banner = hull.map(([x, y]) => {
  const d = Math.hypot(x - cx, y - cy) || 1;
  return [+(x + ((x - cx) / d) * PAD).toFixed(4), +(y + ((y - cy) / d) * PAD).toFixed(4)];
});

// clip a convex polygon to the (convex) banner, Sutherland–Hodgman
function clip(subject, clipper) {
  let out = subject;
  const orient = Math.sign(area(clipper));
  for (let i = 0; i < clipper.length; i++) {
    const a = clipper[i], b = clipper[(i + 1) % clipper.length];
    const inside = (p) => orient * ((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])) >= 0;
    const cross = (p, q) => {
      const [x1, y1] = p, [x2, y2] = q, [x3, y3] = a, [x4, y4] = b;
      const den = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4);
      const t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / den;
      return [x1 + t * (x2 - x1), y1 + t * (y2 - y1)];
    };
    const input = out;
    out = [];
    for (let j = 0; j < input.length; j++) {
      const p = input[j], q = input[(j + 1) % input.length];
      if (inside(q)) {
        if (!inside(p)) out.push(cross(p, q));
        out.push(q);
      } else if (inside(p)) out.push(cross(p, q));
    }
  }
  return out;
}
const area = (poly) => poly.reduce((s, [x, y], i) => { const [x2, y2] = poly[(i + 1) % poly.length]; return s + x * y2 - x2 * y; }, 0) / 2;

const towns = [...new Set(sites.map((s) => s.town))];
const centres = towns.map((t) => {
  const ss = sites.filter((s) => s.town === t);
  return [ss.reduce((a, s) => a + s.lon, 0) / ss.length, ss.reduce((a, s) => a + s.lat, 0) / ss.length];
});
const xs = banner.map((p) => p[0]), ys = banner.map((p) => p[1]);
const voronoi = Delaunay.from(centres).voronoi([Math.min(...xs) - 1, Math.min(...ys) - 1, Math.max(...xs) + 1, Math.max(...ys) + 1]);
const ring = (poly) => {
  const r = poly.map(([x, y]) => [+x.toFixed(4), +y.toFixed(4)]);
  if (area(r) < 0) r.reverse(); // GeoJSON exterior rings: counter-clockwise
  return [...r, r[0]];
};
const features = [
  { type: 'Feature', properties: { kind: 'banner', id: 'etuokeqianqi', name: '鄂托克前旗', schematic: true }, geometry: { type: 'Polygon', coordinates: [ring(banner)] } },
  ...towns.map((t, i) => ({
    type: 'Feature',
    properties: { kind: 'town', id: t, name: TOWN_NAMES[t] ?? t, schematic: true },
    geometry: { type: 'Polygon', coordinates: [ring(clip(voronoi.cellPolygon(i).slice(0, -1), banner))] },
  })),
];
const out = { type: 'FeatureCollection', schematic: true, note: '示意边界，由参考站点生成，非测绘数据 — schematic outlines derived from the reference sites, not surveyed boundaries', features };
writeFileSync(here('./banner.geojson'), JSON.stringify(out, null, 1) + '\n');
console.log(`wrote banner.geojson: banner + ${towns.length} towns (${towns.join(', ')})`);
