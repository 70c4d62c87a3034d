import { describe, expect, it } from "vitest";
import { HOME_VIEW, MAX_ZOOM, MIN_ZOOM, panBy, toContent, zoomAround } from "./map-view";

const size = { width: 300, height: 400 };

describe("map view", () => {
  it("zooms around the pointer: the content under it stays under it", () => {
    const at = { x: 80, y: 120 };
    const before = toContent(HOME_VIEW, at);
    const zoomed = zoomAround(HOME_VIEW, 2, at.x, at.y, size);
    expect(zoomed.k).toBe(2);
    expect(toContent(zoomed, at)).toEqual(before);
  });

  it("stays between the zoom limits", () => {
    expect(zoomAround(HOME_VIEW, 1000, 150, 200, size).k).toBe(MAX_ZOOM);
    expect(zoomAround(HOME_VIEW, 0.001, 150, 200, size).k).toBe(MIN_ZOOM);
  });

  it("pans, but never so far that the centre of the view leaves the map", () => {
    const zoomed = zoomAround(HOME_VIEW, 4, 150, 200, size);
    expect(panBy(zoomed, 30, -20, size)).toEqual({ k: 4, x: zoomed.x + 30, y: zoomed.y - 20 });
    const far = panBy(zoomed, 100_000, 100_000, size);
    expect(toContent(far, { x: 150, y: 200 })).toEqual({ x: 0, y: 0 });
  });
});
