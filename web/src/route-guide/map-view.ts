/**
 * The map's zoom and pan: content drawn at `translate(x y) scale(k)` inside the SVG's viewBox
 * (size × size units). Pure functions, so mouse, touch, keyboard and buttons share them.
 */
export interface MapView {
  k: number;
  x: number;
  y: number;
}

export interface MapSize {
  width: number;
  height: number;
}

export const HOME_VIEW: MapView = { k: 1, x: 0, y: 0 };
/** Half the home view's scale out (to see the neighbouring states) to 16× in (streets of a town). */
export const MIN_ZOOM = 0.5;
export const MAX_ZOOM = 16;

/** Zooms by `factor`, keeping the viewBox point (cx, cy) where it is on screen. */
export function zoomAround(view: MapView, factor: number, cx: number, cy: number, size: MapSize): MapView {
  const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.k * factor));
  const applied = k / view.k;
  return clampView({ k, x: cx - (cx - view.x) * applied, y: cy - (cy - view.y) * applied }, size);
}

/** Moves the content by (dx, dy) viewBox units. */
export function panBy(view: MapView, dx: number, dy: number, size: MapSize): MapView {
  return clampView({ k: view.k, x: view.x + dx, y: view.y + dy }, size);
}

/** The content point (in home-view units) under a viewBox point. */
export function toContent(view: MapView, at: { x: number; y: number }): { x: number; y: number } {
  return { x: (at.x - view.x) / view.k, y: (at.y - view.y) / view.k };
}

/** The area of content any allowed view can show: what the geography must cover. */
export function reachableExtent(size: MapSize): [[number, number], [number, number]] {
  const spanX = size.width / MIN_ZOOM / 2;
  const spanY = size.height / MIN_ZOOM / 2;
  return [
    [-spanX, -spanY],
    [size.width + spanX, size.height + spanY],
  ];
}

/** Keeps the centre of the view over the map's area, so the features cannot be lost off screen. */
function clampView(view: MapView, size: MapSize): MapView {
  const centre = toContent(view, { x: size.width / 2, y: size.height / 2 });
  const cx = Math.min(size.width, Math.max(0, centre.x));
  const cy = Math.min(size.height, Math.max(0, centre.y));
  return { k: view.k, x: size.width / 2 - cx * view.k, y: size.height / 2 - cy * view.k };
}
