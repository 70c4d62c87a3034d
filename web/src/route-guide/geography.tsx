import { type GeoProjection, geoPath } from "d3-geo";
import { useEffect, useMemo, useState } from "react";
import { feature, mesh } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";

type Atlas = Topology<{ counties: GeometryCollection; states: GeometryCollection<{ name: string }>; nation: GeometryCollection }>;

let atlas: Promise<Atlas> | undefined;
/**
 * US states and counties (us-atlas: the Census Bureau's 1:10,000,000 cartographic boundaries as
 * TopoJSON), bundled with the app so the map works offline. 840 KB of JSON: a chunk of its own,
 * fetched after the page, so the features show at once and the outlines follow.
 */
function loadAtlas(): Promise<Atlas> {
  atlas ??= import("us-atlas/counties-10m.json").then((module) => module.default as unknown as Atlas);
  return atlas;
}

export interface GeographyPaths {
  land: string;
  states: string;
  counties: string;
  labels: { name: string; x: number; y: number }[];
}

/**
 * SVG paths of the land, state lines and county lines, drawn with the map's projection and
 * clipped to `extent` (the area the view can show), so the rest of the country costs nothing.
 */
export function useGeography(projection: GeoProjection, extent: [[number, number], [number, number]]): GeographyPaths | undefined {
  const [loaded, setLoaded] = useState<Atlas | undefined>(undefined);
  useEffect(() => {
    let current = true;
    loadAtlas().then((value) => current && setLoaded(value), () => undefined);
    return () => {
      current = false;
    };
  }, []);
  return useMemo(() => {
    if (loaded === undefined) return undefined;
    const clipped = projection.clipExtent(extent);
    const path = geoPath(clipped);
    const [[x0, y0], [x1, y1]] = extent;
    const states = feature(loaded, loaded.objects.states);
    const labels = states.features
      .map((state) => {
        const [x, y] = path.centroid(state);
        return { name: state.properties.name, x, y };
      })
      .filter(({ x, y }) => Number.isFinite(x) && x > x0 && x < x1 && y > y0 && y < y1);
    const result = {
      land: path(feature(loaded, loaded.objects.nation)) ?? "",
      states: path(mesh(loaded, loaded.objects.states, (a, b) => a !== b)) ?? "",
      counties: path(mesh(loaded, loaded.objects.counties, (a, b) => a !== b && a.id?.toString().slice(0, 2) === b.id?.toString().slice(0, 2))) ?? "",
      labels,
    };
    projection.clipExtent(null);
    return result;
  }, [loaded, projection, extent]);
}

/** The geography under the features: land, county lines, state lines and state names. */
export function Geography({ paths }: { paths: GeographyPaths | undefined }) {
  if (paths === undefined) return null;
  return (
    <g className="geography" aria-hidden="true" data-testid="geography">
      <path className="land" d={paths.land} />
      <path className="county-lines" d={paths.counties} />
      <path className="state-lines" d={paths.states} />
      {paths.labels.map((label) => (
        <text key={label.name} className="state-label" x={label.x} y={label.y}>
          {label.name}
        </text>
      ))}
    </g>
  );
}
