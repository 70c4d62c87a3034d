import { create } from "@bufbuild/protobuf";
import { type CSSProperties, type PointerEvent, useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import { useQuery } from "@connectrpc/connect-query";
import { skipToken } from "@tanstack/react-query";
import { type Feature, type Point, PointSchema, RectangleSchema, RouteGuide } from "../../../gen/routeguide/route_guide_pb";
import { describeError } from "../ui/describe-error";
import { createProjection, E7, formatPoint, pointKey, TUTORIAL_BOUNDS } from "./map-projection";
import { useFeatureStream } from "./use-feature-stream";
import { RouteRecordingPanel, RouteTrace } from "./route-recording";
import { useRouteRecording } from "./use-route-recording";
import { Geography, useGeography } from "./geography";
import { reachableExtent, toContent } from "./map-view";
import { useZoomPan } from "./use-zoom-pan";

const HINTS: Record<Mode, string> = {
  move: "Drag to move the map.",
  area: "Drag a rectangle to stream the features inside it; click a point to look it up.",
  route: "Click the map to add points to the route (near a feature, the feature's own point), or add features from the list; then record it.",
};

const MAP_WIDTH = 300;
/** A press that moves less than this (in map units) is a click, not a drag. */
const CLICK_SLOP = 4;
/** A click this close to a feature's dot looks that feature up. */
const HIT_RADIUS = 8;

interface Drag {
  from: { x: number; y: number };
  to: { x: number; y: number };
}

type Mode = "move" | "area" | "route";

/**
 * The route guide on a map of the real geography (US states and counties from us-atlas, bundled:
 * no tile server, so it works offline), zoomable and movable with mouse, touch and keyboard. Drag a rectangle to stream
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
  const size = useMemo(() => ({ width: projection.width, height: projection.height }), [projection]);
  const toViewBox = useCallback((clientX: number, clientY: number) => {
    const matrix = svg.current?.getScreenCTM()?.inverse();
    if (matrix === undefined) return { x: 0, y: 0 };
    const point = new DOMPoint(clientX, clientY).matrixTransform(matrix);
    return { x: point.x, y: point.y };
  }, []);
  const zoomPan = useZoomPan(svg, size, toViewBox);
  const { view } = zoomPan;
  const geography = useGeography(projection.geo, useMemo(() => reachableExtent(size), [size]));
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

  /** Where the pointer is on the map's content (home-view units, as the projection has them). */
  function mapPosition(event: PointerEvent<SVGSVGElement>): { x: number; y: number } {
    return toContent(view, toViewBox(event.clientX, event.clientY));
  }

  function lookUp(point: Point) {
    setLookupPoint(point);
  }

  function finishDrag(current: Drag) {
    setDrag(undefined);
    const { from, to } = current;
    if (mode === "route") {
      // A point of the route; near a feature it is the feature's own point, so the feature counts as passed.
      route.add(nearestFeature(all.features, to, projection.toScreen, HIT_RADIUS / view.k)?.location ?? projection.toPoint(to.x, to.y));
      return;
    }
    if (Math.hypot(to.x - from.x, to.y - from.y) < CLICK_SLOP / view.k) {
      const nearest = nearestFeature(all.features, from, projection.toScreen, HIT_RADIUS / view.k);
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
          <input type="radio" name={modeName} checked={mode === "move"} onChange={() => setMode("move")} /> Move the map
        </label>
        <label>
          <input type="radio" name={modeName} checked={mode === "area"} onChange={() => setMode("area")} /> Select an area
        </label>
        <label>
          <input type="radio" name={modeName} checked={mode === "route"} onChange={() => setMode("route")} /> Draw a route
        </label>
      </fieldset>
      <p className="hint">
        {HINTS[mode]} Zoom with the wheel, two fingers, the buttons, or + and − on the focused map (arrows move it, 0 goes back).
      </p>
      <div className="toolbar map-zoom">
        <button type="button" onClick={() => zoomPan.zoomBy(1.5)}>
          Zoom in
        </button>
        <button type="button" onClick={() => zoomPan.zoomBy(1 / 1.5)}>
          Zoom out
        </button>
        <button type="button" onClick={zoomPan.reset}>
          Reset view
        </button>
      </div>
      <div className="map-layout">
        <svg
          ref={svg}
          className="route-map"
          viewBox={`0 0 ${projection.width} ${projection.height}`}
          style={{ aspectRatio: `${projection.width} / ${projection.height}` }}
          role="img"
          aria-label={`Map of ${all.features.length} route guide features`}
          aria-roledescription="zoomable map"
          tabIndex={0}
          data-testid="route-map"
          data-zoom={view.k.toFixed(3)}
          onKeyDown={zoomPan.keyDown}
          onPointerDown={(event) => {
            event.currentTarget.setPointerCapture(event.pointerId);
            if (zoomPan.pointerDown(event.pointerId, toViewBox(event.clientX, event.clientY), mode === "move")) {
              setDrag(undefined);
              return;
            }
            const at = mapPosition(event);
            setDrag({ from: at, to: at });
          }}
          onPointerMove={(event) => {
            if (zoomPan.pointerMove(event.pointerId, toViewBox(event.clientX, event.clientY))) return;
            if (drag) setDrag({ ...drag, to: mapPosition(event) });
          }}
          onPointerUp={(event) => {
            if (zoomPan.pointerUp(event.pointerId)) return;
            if (drag) finishDrag({ ...drag, to: mapPosition(event) });
          }}
          onPointerCancel={(event) => {
            zoomPan.pointerUp(event.pointerId);
            setDrag(undefined);
          }}
        >
          <rect width={projection.width} height={projection.height} className="map-sea" />
          <g transform={`translate(${view.x} ${view.y}) scale(${view.k})`} style={{ "--zoom": view.k } as CSSProperties}>
          <Geography paths={geography} />
          {all.features.map((feature) => {
            const at = projection.toScreen(feature.location ?? create(PointSchema));
            const key = pointKey(feature.location);
            return (
              <circle
                key={key}
                cx={at.x}
                cy={at.y}
                r={(selected.has(key) ? 5 : 3.5) / Math.sqrt(view.k)}
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
          <RouteTrace points={route.points} toScreen={projection.toScreen} scale={view.k} />
          {lookupPoint !== undefined && (() => {
            const at = projection.toScreen(lookupPoint);
            return <circle cx={at.x} cy={at.y} r={8 / view.k} className="lookup-ring" />;
          })()}
          </g>
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

function nearestFeature(features: readonly Feature[], at: { x: number; y: number }, toScreen: (point: Point) => { x: number; y: number }, radius: number) {
  let best: Feature | undefined;
  let bestDistance = radius;
  for (const feature of features) {
    if (feature.location === undefined) continue;
    const screen = toScreen(feature.location);
    const distance = Math.hypot(screen.x - at.x, screen.y - at.y);
    if (distance <= bestDistance) (best = feature), (bestDistance = distance);
  }
  return best;
}
