import { describe, expect, it } from "vitest";
import { RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { perMethod, procedureName } from "./per-method.js";

describe("perMethod", () => {
  it("works a method's answer out once and keeps it, falsy answers included", () => {
    const computed: string[] = [];
    const isUnary = perMethod((method) => (computed.push(method.name), method.methodKind === "unary"));
    expect([isUnary(RouteGuide.method.getFeature), isUnary(RouteGuide.method.listFeatures), isUnary(RouteGuide.method.getFeature), isUnary(RouteGuide.method.listFeatures)]).toEqual([true, false, true, false]);
    expect(computed).toEqual(["GetFeature", "ListFeatures"]);
  });

  it("names a method as package.Service/Method", () => {
    expect(procedureName(RouteGuide.method.routeChat)).toBe("routeguide.RouteGuide/RouteChat");
  });
});
