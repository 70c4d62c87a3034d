import { type KeyboardEvent, type RefObject, useCallback, useEffect, useRef, useState } from "react";
import { HOME_VIEW, type MapSize, type MapView, panBy, zoomAround } from "./map-view";

type At = { x: number; y: number };

export interface ZoomPan {
  view: MapView;
  zoomBy(factor: number): void;
  reset(): void;
  /** Pointer handlers; each returns true when the gesture is the map's own (pan, pinch), not the page's click or drag. */
  pointerDown(id: number, at: At, pan: boolean): boolean;
  pointerMove(id: number, at: At): boolean;
  pointerUp(id: number): boolean;
  keyDown(event: KeyboardEvent): void;
}

/** Zoom step of the buttons and keys, and how far the arrow keys move (a share of the view). */
const STEP = 1.5;
const KEY_PAN = 0.15;

/**
 * Zoom and pan of an SVG map, from every input: the wheel zooms around the pointer; one pointer
 * pans (when `pan` is asked for: the map's "Move" mode); two pointers (touch) pinch-zoom and pan
 * in any mode; the keyboard zooms with + and -, pans with the arrows, and 0 goes home.
 */
export function useZoomPan(svg: RefObject<SVGSVGElement | null>, size: MapSize, toViewBox: (clientX: number, clientY: number) => At): ZoomPan {
  const [view, setView] = useState<MapView>(HOME_VIEW);
  const pointers = useRef(new Map<number, At>());
  const panning = useRef<number | undefined>(undefined);

  // React's wheel listeners are passive; this one must stop the page from scrolling.
  useEffect(() => {
    const element = svg.current;
    if (element === null) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const at = toViewBox(event.clientX, event.clientY);
      setView((current) => zoomAround(current, Math.exp(-event.deltaY * 0.002), at.x, at.y, size));
    };
    element.addEventListener("wheel", onWheel, { passive: false });
    return () => element.removeEventListener("wheel", onWheel);
  }, [svg, size, toViewBox]);

  const zoomBy = useCallback((factor: number) => setView((current) => zoomAround(current, factor, size.width / 2, size.height / 2, size)), [size]);

  return {
    view,
    zoomBy,
    reset: () => setView(HOME_VIEW),
    pointerDown(id, at, pan) {
      pointers.current.set(id, at);
      if (pointers.current.size >= 2) {
        panning.current = undefined;
        return true;
      }
      if (pan) panning.current = id;
      return pan;
    },
    pointerMove(id, at) {
      const previous = pointers.current.get(id);
      if (previous === undefined) return false;
      if (pointers.current.size >= 2) {
        const [other] = [...pointers.current.entries()].filter(([key]) => key !== id).map(([, value]) => value);
        pointers.current.set(id, at);
        if (other === undefined) return true;
        const before = Math.hypot(previous.x - other.x, previous.y - other.y);
        const after = Math.hypot(at.x - other.x, at.y - other.y);
        const middle = { x: (at.x + other.x) / 2, y: (at.y + other.y) / 2 };
        setView((current) => {
          const zoomed = before > 0 ? zoomAround(current, after / before, middle.x, middle.y, size) : current;
          return panBy(zoomed, (at.x - previous.x) / 2, (at.y - previous.y) / 2, size);
        });
        return true;
      }
      pointers.current.set(id, at);
      if (panning.current !== id) return false;
      setView((current) => panBy(current, at.x - previous.x, at.y - previous.y, size));
      return true;
    },
    pointerUp(id) {
      const wasGesture = pointers.current.size >= 2 || panning.current === id;
      pointers.current.delete(id);
      if (panning.current === id) panning.current = undefined;
      return wasGesture;
    },
    keyDown(event) {
      const step = { x: size.width * KEY_PAN, y: size.height * KEY_PAN };
      const actions: Record<string, () => void> = {
        "+": () => zoomBy(STEP),
        "=": () => zoomBy(STEP),
        "-": () => zoomBy(1 / STEP),
        "0": () => setView(HOME_VIEW),
        ArrowLeft: () => setView((current) => panBy(current, step.x, 0, size)),
        ArrowRight: () => setView((current) => panBy(current, -step.x, 0, size)),
        ArrowUp: () => setView((current) => panBy(current, 0, step.y, size)),
        ArrowDown: () => setView((current) => panBy(current, 0, -step.y, size)),
      };
      const action = actions[event.key];
      if (action === undefined) return;
      event.preventDefault();
      action();
    },
  };
}
