import type { Point } from "../../../gen/routeguide/route_guide_pb";
import { describeError } from "../ui/describe-error";
import { formatPoint } from "./map-projection";
import type { RouteRecording } from "./use-route-recording";

/** The route drawn so far, on the map: a line through its points, each numbered. */
export function RouteTrace({ points, toScreen, scale = 1 }: { points: readonly Point[]; toScreen(point: Point): { x: number; y: number }; scale?: number }) {
  if (points.length === 0) return null;
  const screen = points.map(toScreen);
  return (
    <g className="route-trace" data-testid="route-trace" data-points={points.length}>
      <polyline points={screen.map(({ x, y }) => `${x},${y}`).join(" ")} />
      {screen.map(({ x, y }, index) => (
        <circle key={index} cx={x} cy={y} r={2.5 / scale}>
          <title>{`Point ${index + 1}: ${formatPoint(points[index] as Point)}`}</title>
        </circle>
      ))}
    </g>
  );
}

/** The route's points, the buttons to edit and record it, and the server's summary. */
export function RouteRecordingPanel({ route }: { route: RouteRecording }) {
  const { points, status, summary } = route;
  return (
    <div className="route-recording" aria-label="Route" role="group">
      <p data-testid="route-status" data-state={status}>
        Route: {points.length} {points.length === 1 ? "point" : "points"}
        {points.length > 0 && `, from ${formatPoint(points[0] as Point)} to ${formatPoint(points[points.length - 1] as Point)}`}
      </p>
      <div className="toolbar">
        <button type="button" onClick={route.send} disabled={points.length === 0 || status === "sending"}>
          Record route
        </button>
        <button type="button" onClick={route.undo} disabled={points.length === 0}>
          Undo last point
        </button>
        <button type="button" onClick={route.clear} disabled={points.length === 0}>
          Clear
        </button>
      </div>
      <div aria-live="polite">
        {status === "sending" && <p>Recording…</p>}
        {status === "error" && <p className="error">{describeError(route.error)}</p>}
        {status === "done" && summary !== undefined && (
          <dl className="route-summary" data-testid="route-summary">
            <dt>Points</dt>
            <dd data-testid="summary-points">{summary.pointCount}</dd>
            <dt>Features passed</dt>
            <dd data-testid="summary-features">{summary.featureCount}</dd>
            <dt>Distance</dt>
            <dd data-testid="summary-distance" data-metres={summary.distance}>
              {(summary.distance / 1000).toLocaleString("en-US", { maximumFractionDigits: 1 })} km
            </dd>
            <dt>Elapsed time</dt>
            <dd data-testid="summary-elapsed">{summary.elapsedTime} s</dd>
          </dl>
        )}
      </div>
    </div>
  );
}
