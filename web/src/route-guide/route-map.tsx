import { create } from "@bufbuild/protobuf";
import { type PointerEvent, useEffect, useId, useMemo, useRef, useState } from "react";
import { useQuery } from "@connectrpc/connect-query";
import { skipToken } from "@tanstack/react-query";
import { type Feature, type Point, PointSchema, RectangleSchema, RouteGuide } from "../../../gen/routeguide/route_guide_pb";
import { describeError } from "../ui/describe-error";
import { createProjection, E7, formatPoint, pointKey, TUTORIAL_BOUNDS } from "./map-projection";
import { useFeatureStream } from "./use-feature-stream";
import { RouteRecordingPanel, RouteTrace } from "./route-recording";
import { useRouteRecording } from "./use-route-recording";

const MAP_WIDTH = 300;
/** A press that moves less than this (in map units) is a click, not a drag. */
const CLICK_SLOP = 4;
/** A click this close to a feature's dot looks that feature up. */
const HIT_RADIUS = 8;

interface Drag {
  from: { x: number; y: number };
  to: { x: number; y: number };
}

type Mode = "area" | "route";

/**
 * The route guide on an SVG map (no tile server: it works offline). Drag a rectangle to stream
 * the features inside it (ListFeatures); click a point to look it up (GetFeature); or draw a
 * route point by point and record it (RecordRoute's browser companion). The whole set is
 * streamed once as the base layer.
 */
export function RouteMap({ onChatHere }: { onChatHere(point: Point, name: string): void }) {
  const projection = useMemo(() => createProjection(TUTORIAL_BOUNDS, MAP_WIDTH), []);
  const all = useFeatureStream();
  const selection = useFeatureStream();
  const [drag, setDrag] = useState<Drag | undefined>(undefined);
  const [area, setArea] = useState<Drag | undefined>(undefined);
  // GetFeature through connect-query: a point looked up again is answered from the cache.
  const [lookupPoint, setLookupPoint] = useState<Point | undefined>(undefined);
  const lookup = useQuery(RouteGuide.method.getFeature, lookupPoint ?? skipToken);
  const svg = useRef<SVGSVGElement>(null);
  const [mode, setMode] = useState<Mode>("area");
  const route = useRouteRecording();
  const modeName = useId();
  const streamAll = all.stream;

  useEffect(() => {
    const corner = (latitude: number, longitude: number) => create(PointSchema, { latitude: Math.round(latitude * E7), longitude: Math.round(longitude * E7) });
    streamAll(
      create(RectangleSchema, {
        lo: corner(TUTORIAL_BOUNDS.minLatitude, TUTORIAL_BOUNDS.minLongitude),
        hi: corner(TUTORIAL_BOUNDS.maxLatitude, TUTORIAL_BOUNDS.maxLongitude),
      }),
    );
  }, [streamAll]);

  const selected = useMemo(() => new Set(selection.features.map((feature) => pointKey(feature.location))), [selection.features]);

  function mapPosition(event: PointerEvent<SVGSVGElement>): { x: number; y: number } {
    const matrix = svg.current?.getScreenCTM()?.inverse();
    if (matrix === undefined) return { x: 0, y: 0 };
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix);
    return { x: point.x, y: point.y };
  }

  function lookUp(point: Point) {
    setLookupPoint(point);
  }

  function finishDrag(current: Drag) {
    setDrag(undefined);
    const { from, to } = current;
    if (mode === "route") {
      // A point of the route; near a feature it is the feature's own point, so the feature counts as passed.
      route.add(nearestFeature(all.features, to, projection.toScreen)?.location ?? projection.toPoint(to.x, to.y));
      return;
    }
    if (Math.hypot(to.x - from.x, to.y - from.y) < CLICK_SLOP) {
      const nearest = nearestFeature(all.features, from, projection.toScreen);
      lookUp(nearest?.location ?? projection.toPoint(from.x, from.y));
      return;
    }
    setArea(current);
    selection.stream(create(RectangleSchema, { lo: projection.toPoint(from.x, from.y), hi: projection.toPoint(to.x, to.y) }));
  }

  const shown = drag ?? area;
  return (
    <section className="panel" aria-labelledby="map-heading" id="route-guide">
      <h2 id="map-heading">Route guide</h2>
      <fieldset className="map-modes">
        <legend>On the map</legend>
        <label>
          <input type="radio" name={modeName} checked={mode === "area"} onChange={() => setMode("area")} /> Select an area
        </label>
        <label>
          <input type="radio" name={modeName} checked={mode === "route"} onChange={() => setMode("route")} /> Draw a route
        </label>
      </fieldset>
      <p className="hint">
        {mode === "area"
          ? "Drag a rectangle to stream the features inside it; click a point to look it up."
          : "Click the map to add points to the route (near a feature, the feature's own point), or add features from the list; then record it."}
      </p>
      <div className="map-layout">
        <svg
          ref={svg}
          className="route-map"
          viewBox={`0 0 ${projection.width} ${projection.height}`}
          style={{ aspectRatio: `${projection.width} / ${projection.height}` }}
          role="img"
          aria-label={`Map of ${all.features.length} route guide features`}
          data-testid="route-map"
          onPointerDown={(event) => {
            event.currentTarget.setPointerCapture(event.pointerId);
            const at = mapPosition(event);
            setDrag({ from: at, to: at });
          }}
          onPointerMove={(event) => drag && setDrag({ ...drag, to: mapPosition(event) })}
          onPointerUp={(event) => drag && finishDrag({ ...drag, to: mapPosition(event) })}
          onPointerCancel={() => setDrag(undefined)}
        >
          <rect width={projection.width} height={projection.height} className="map-land" />
          <Graticule projection={projection} />
          {all.features.map((feature) => {
            const at = projection.toScreen(feature.location ?? create(PointSchema));
            const key = pointKey(feature.location);
            return (
              <circle
                key={key}
                cx={at.x}
                cy={at.y}
                r={selected.has(key) ? 5 : 3.5}
                className={`dot ${feature.name ? "named" : "unnamed"} ${selected.has(key) ? "selected" : ""}`}
              >
                <title>{feature.name || `No name (${formatPoint(feature.location ?? create(PointSchema))})`}</title>
              </circle>
            );
          })}
          {shown !== undefined && (
            <rect
              className="selection"
              x={Math.min(shown.from.x, shown.to.x)}
              y={Math.min(shown.from.y, shown.to.y)}
              width={Math.abs(shown.to.x - shown.from.x)}
              height={Math.abs(shown.to.y - shown.from.y)}
            />
          )}
          <RouteTrace points={route.points} toScreen={projection.toScreen} />
          {lookupPoint !== undefined && (() => {
            const at = projection.toScreen(lookupPoint);
            return <circle cx={at.x} cy={at.y} r={8} className="lookup-ring" />;
          })()}
        </svg>
        <div className="map-side">
          {mode === "route" && <RouteRecordingPanel route={route} />}
          <div aria-live="polite" data-testid="lookup">
            {lookupPoint === undefined && <p>No point looked up yet.</p>}
            {lookupPoint !== undefined && lookup.isPending && <p>Looking up {formatPoint(lookupPoint)}…</p>}
            {lookup.error !== null && <p className="error">{describeError(lookup.error)}</p>}
            {lookupPoint !== undefined && lookup.data !== undefined && (
              <p>
                <strong>{lookup.data.name || "No feature here"}</strong> at {formatPoint(lookupPoint)}{" "}
                <button type="button" className="link" onClick={() => onChatHere(lookupPoint, lookup.data?.name || formatPoint(lookupPoint))}>
                  Chat here
                </button>
              </p>
            )}
          </div>
          <p data-testid="selection-status" data-state={selection.status}>
            {selection.status === "idle" && "No rectangle selected."}
            {selection.status === "streaming" && `Streaming… ${selection.features.length} features so far`}
            {selection.status === "done" && `${selection.features.length} features in the rectangle.`}
            {selection.status === "error" && <span className="error">{describeError(selection.error)}</span>}
          </p>
          {selection.features.length > 0 && (
            <ul className="feature-list" aria-label="Features in the rectangle">
              {selection.features.map((feature) => (
                <li key={pointKey(feature.location)}>
                  <button type="button" className="link" onClick={() => feature.location && (mode === "route" ? route.add(feature.location) : lookUp(feature.location))}>
                    {feature.name || `Unnamed point ${formatPoint(feature.location ?? create(PointSchema))}`}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </section>
  );
}

function nearestFeature(features: readonly Feature[], at: { x: number; y: number }, toScreen: (point: Point) => { x: number; y: number }) {
  let best: Feature | undefined;
  let bestDistance = HIT_RADIUS;
  for (const feature of features) {
    if (feature.location === undefined) continue;
    const screen = toScreen(feature.location);
    const distance = Math.hypot(screen.x - at.x, screen.y - at.y);
    if (distance <= bestDistance) (best = feature), (bestDistance = distance);
  }
  return best;
}

function Graticule({ projection }: { projection: ReturnType<typeof createProjection> }) {
  const lines = [];
  for (let latitude = Math.ceil(TUTORIAL_BOUNDS.minLatitude * 4) / 4; latitude < TUTORIAL_BOUNDS.maxLatitude; latitude += 0.25) {
    const y = projection.toScreen(create(PointSchema, { latitude: Math.round(latitude * E7), longitude: 0 })).y;
    lines.push(<line key={`lat${latitude}`} x1={0} x2={projection.width} y1={y} y2={y} className="graticule" />);
    if (latitude % 0.5 === 0) lines.push(<text key={`t${latitude}`} x={2} y={y - 2} className="graticule-label">{latitude.toFixed(1)}°N</text>);
  }
  for (let longitude = Math.ceil(TUTORIAL_BOUNDS.minLongitude * 4) / 4; longitude < TUTORIAL_BOUNDS.maxLongitude; longitude += 0.25) {
    const x = projection.toScreen(create(PointSchema, { latitude: 0, longitude: Math.round(longitude * E7) })).x;
    lines.push(<line key={`lng${longitude}`} x1={x} x2={x} y1={0} y2={projection.height} className="graticule" />);
  }
  return <g aria-hidden="true">{lines}</g>;
}
