import { describe, expect, it } from "vitest";
import { create, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type Interceptor } from "@connectrpc/connect";
import { FeatureSchema, PointSchema, RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { collectLeanRoutes, headersOf, headersOfRaw, type LeanRoute, startCall, utf8Encoder } from "./lean-routes.js";

/** Node's header object for raw headers, as its HTTP/2 layer builds it for these cases. */
function entries(headers: Headers): [string, string][] {
  const all: [string, string][] = [];
  headers.forEach((value, name) => all.push([name, value]));
  return all;
}

describe("headersOfRaw", () => {
  it("gives what headersOf gives: pseudo-headers left out, in order", () => {
    const raw = [":method", "POST", ":path", "/p", "content-type", "application/grpc", "te", "trailers", "x-request-id", "abc", "authorization", "Bearer t"];
    const object = { ":method": "POST", ":path": "/p", "content-type": "application/grpc", te: "trailers", "x-request-id": "abc", authorization: "Bearer t" };
    expect(entries(headersOfRaw(raw, object))).toEqual(entries(headersOf(object)));
    expect(headersOfRaw(raw, object).get("X-Request-Id")).toBe("abc");
  });

  it("takes the values from the header object, which a layer before may have changed", () => {
    const raw = [":path", "/p", "grpc-timeout", "99999999H"];
    expect(headersOfRaw(raw, { ":path": "/p", "grpc-timeout": "2592000S" }).get("grpc-timeout")).toBe("2592000S");
  });

  it("leaves a name sent twice to headersOf, which joins as Node joined", () => {
    const raw = [":path", "/p", "x-a", "1", "cookie", "a=1", "x-a", "2", "cookie", "b=2"];
    const object = { ":path": "/p", "x-a": "1, 2", cookie: "a=1; b=2" };
    expect(entries(headersOfRaw(raw, object))).toEqual([
      ["x-a", "1, 2"],
      ["cookie", "a=1; b=2"],
    ]);
  });
});

describe("utf8Encoder", () => {
  it("encodes as TextEncoder does, lone surrogates and all", () => {
    const encoder = new TextEncoder();
    for (const text of ["", "plain", "ünïcødé ✓ 🗺", "lone \ud800 high", "lone \udc00 low", "\udc00\ud800 reversed", "\u0000 nul"]) {
      expect(Buffer.from(utf8Encoder.encode(text)).toString("hex"), JSON.stringify(text)).toBe(Buffer.from(encoder.encode(text)).toString("hex"));
    }
  });
});

describe("a lean route's JSON", () => {
  it("is connect's serializer with the Buffer encoder (connect passes the option through to its JSON serialization)", () => {
    const routes = collectLeanRoutes((router) => router.service(RouteGuide, { getFeature: () => create(FeatureSchema) }), [], 1024);
    const route = routes.get("/routeguide.RouteGuide/GetFeature")!;
    const feature = create(FeatureSchema, { name: "ünï ✓", location: { latitude: 1 } });
    const json = route.encode(feature, false);
    expect(Buffer.isBuffer(json)).toBe(true);
    expect(Buffer.from(json).toString()).toBe(toJsonString(FeatureSchema, feature));
  });

  it("fails to encode what connect's serializer fails on, with connect's error", () => {
    const routes = collectLeanRoutes((router) => router.service(RouteGuide, { getFeature: () => create(FeatureSchema) }), [], 1024);
    const route = routes.get("/routeguide.RouteGuide/GetFeature")!;
    const broken = create(FeatureSchema, { location: { latitude: 1.5 } });
    const connects = captured(() => route.serialization.getO(true).serialize(broken));
    expect(connects).toMatchObject({ code: Code.Internal });
    expect(captured(() => route.encode(broken, true))).toEqual(connects);
    expect(captured(() => route.encoder.frame(broken))).toEqual(connects);
  });
});

function captured(run: () => unknown): { code: Code; message: string } | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    const connectError = ConnectError.from(error);
    return { code: connectError.code, message: connectError.message };
  }
}

describe("a lean route's unary call", () => {
  /** GetFeature served by `getFeature`, behind an interceptor that records what it sees come back. */
  function call(getFeature: () => unknown) {
    const seen: string[] = [];
    const observe: Interceptor = (next) => (request) =>
      next(request).then(
        (response) => (seen.push("answer"), response),
        (error: unknown) => {
          seen.push(`failure: ${(error as Error).message}`);
          throw error;
        },
      );
    const route = collectLeanRoutes((router) => router.service(RouteGuide, { getFeature } as never), [observe], 1024).get("/routeguide.RouteGuide/GetFeature") as LeanRoute;
    const { response } = startCall(route, {
      protocolName: "grpc",
      requestMethod: "POST",
      url: "http://localhost/routeguide.RouteGuide/GetFeature",
      signal: new AbortController().signal,
      timeoutMs: () => undefined,
      requestHeader: new Headers(),
      contextValues: createContextValues(),
      input: create(PointSchema, { latitude: 1, longitude: 2 }),
    });
    return { response: response.then((answer) => (answer.stream ? undefined : (answer.message as unknown as { name: string }).name)), seen };
  }

  it("answers with what the handler returns or resolves to, a message or its fields", async () => {
    const atOnce = call(() => create(FeatureSchema, { name: "at once" }));
    expect(await atOnce.response).toBe("at once");
    expect(atOnce.seen).toEqual(["answer"]);
    expect(await call(() => ({ name: "fields" })).response).toBe("fields");
    const later = call(async () => ({ name: "later" }));
    expect(await later.response).toBe("later");
    expect(later.seen).toEqual(["answer"]);
  });

  it("fails as a rejection the interceptors see, whether the handler throws or rejects", async () => {
    const thrown = call(() => {
      throw new ConnectError("thrown", Code.NotFound);
    });
    await expect(thrown.response).rejects.toMatchObject({ code: Code.NotFound });
    expect(thrown.seen).toEqual(["failure: [not_found] thrown"]);
    const rejected = call(() => Promise.reject(new ConnectError("rejected", Code.Aborted)));
    await expect(rejected.response).rejects.toMatchObject({ code: Code.Aborted });
    expect(rejected.seen).toEqual(["failure: [aborted] rejected"]);
  });
});
