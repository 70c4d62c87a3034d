import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PointSchema, RouteGuide, type RouteNote } from "../../gen/routeguide/route_guide_pb.js";
import { RouteNotesService } from "../../gen/routeguide/route_notes_pb.js";
import { type ChatMessage, UserService } from "../../gen/userservice/user_service_pb.js";
import { createPushStream } from "../test-support/push-stream.js";
import { clientFor, collect, eventually, PROTOCOL_MATRIX, startTestServer, type TestServer } from "../test-support/test-server.js";

const point = (latitude: number, longitude: number) => create(PointSchema, { latitude, longitude });

let server: TestServer;
beforeAll(async () => (server = await startTestServer()));
afterAll(() => server.close());

describe.each(PROTOCOL_MATRIX)("connect-node client, $name", (protocol) => {
  const clients = () => {
    const transport = protocol.make(server.url);
    return { guide: clientFor(RouteGuide, transport), users: clientFor(UserService, transport), notes: clientFor(RouteNotesService, transport) };
  };
  const tag = protocol.name.replace(/[^a-z0-9]/g, "");

  it("unary and server streaming on RouteGuide", async () => {
    const { guide } = clients();
    expect((await guide.getFeature(point(409146138, -746188906))).name).toContain("Berkshire Valley");
    const features = await collect(guide.listFeatures({ lo: point(400000000, -750000000), hi: point(420000000, -730000000) }));
    expect(features).toHaveLength(100);
  });

  it("client streaming on RouteGuide", async () => {
    const { guide } = clients();
    const summary = await guide.recordRoute((async function* () {
      yield point(407838351, -746143763);
      yield point(408122808, -743999179);
    })());
    expect(summary).toMatchObject({ pointCount: 2, featureCount: 2, distance: 18327 });
  });

  it("users: create, get, list, batch", async () => {
    const { users } = clients();
    const created = await users.createUser({ username: `u${tag}`, email: `${tag}@example.com`, password: "long enough" });
    expect(await users.getUser({ id: created.id })).toEqual(created);
    const listed = await collect(users.listUsers({ pageSize: 1000 }));
    expect(listed.map((u) => u.id)).toContain(created.id);
    const result = await users.batchCreateUsers((async function* () {
      yield { username: `b${tag}`, email: `b${tag}@example.com`, password: "long enough" };
      yield { username: `b${tag}`, email: "broken", password: "long enough" };
    })());
    expect(result.created).toBe(1);
    expect(result.errors).toHaveLength(1);
  });

  it("errors keep their code and message", async () => {
    const { users, guide } = clients();
    const notFound = await users.getUser({ id: "missing" }).catch(ConnectError.from);
    expect(notFound).toMatchObject({ code: Code.NotFound, rawMessage: 'user "missing" not found' });
    const invalid = await collect(guide.listFeatures({ lo: point(0, 0) })).catch(ConnectError.from);
    expect(invalid).toMatchObject({ code: Code.InvalidArgument, rawMessage: "hi: value is required" });
  });

  it("a deadline that passes ends the call with DEADLINE_EXCEEDED", async () => {
    const { guide } = clients();
    const never = createPushStream<ReturnType<typeof point>>();
    never.push(point(1, 1));
    const error = await guide.recordRoute(never, { timeoutMs: 300 }).catch(ConnectError.from);
    expect(error).toMatchObject({ code: Code.DeadlineExceeded });
  });

  it("a browser-companion post and subscription round trip", async () => {
    const { notes } = clients();
    const spot = point(321, tag.length * 1000 + tag.charCodeAt(tag.length - 1));
    const posted = await notes.postNote({ location: spot, message: `from ${tag}` });
    const [first] = await collect((async function* () {
      for await (const stored of notes.subscribeNotes({ scope: { case: "location", value: spot } })) {
        yield stored;
        return;
      }
    })());
    expect(first).toEqual(posted);
  });

});

// Bidi needs HTTP/2: fetch-based and HTTP/1.1 clients cannot stream both ways at once.
describe.each(PROTOCOL_MATRIX.filter((p) => p.bidi))("connect-node client, $name, bidi", (protocol) => {
  const clients = () => {
    const transport = protocol.make(server.url);
    return { guide: clientFor(RouteGuide, transport), users: clientFor(UserService, transport), notes: clientFor(RouteNotesService, transport) };
  };
  const tag = protocol.name.replace(/[^a-z0-9]/g, "");

  it("bidi RouteChat and Chat reach a browser-style subscriber and back", async () => {
    const { guide, notes, users } = clients();
    const requests = createPushStream<RouteNote>();
    const got: string[] = [];
    const done = (async () => { for await (const n of guide.routeChat(requests)) got.push(n.message); })();
    const spot = point(123, Number(`${tag.length}${tag.charCodeAt(4)}`));
    requests.push({ location: spot, message: "native" } as RouteNote);
    await eventually(() => server.app.noteHub.subscriberCount() >= 1);
    const seen = await collect((async function* () {
      for await (const stored of notes.subscribeNotes({ scope: { case: "location", value: spot } })) {
        yield stored.note?.message;
        return;
      }
    })());
    expect(seen).toEqual(["native"]);
    await notes.postNote({ location: spot, message: "browser" });
    await eventually(() => got.includes("browser"));
    requests.end();
    await done;

    const chat = createPushStream<ChatMessage>();
    const chatGot: ChatMessage[] = [];
    const chatDone = (async () => { for await (const m of users.chat(chat)) chatGot.push(m); })();
    chat.push({ userId: "someone else", text: `ping ${tag}` } as ChatMessage);
    // The sender is whoever the token says (service token 1), whatever the message claims.
    await eventually(() => chatGot.some((m) => m.userId === "service:1" && m.text === `ping ${tag}`));
    chat.end();
    await chatDone;
  });
});
