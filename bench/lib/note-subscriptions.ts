import http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Point } from "../../gen/routeguide/route_guide_pb.js";
import { StoredNoteSchema, SubscribeNotesRequestSchema } from "../../gen/routeguide/route_notes_pb.js";
import type { StoredNote } from "../../gen/routeguide/route_notes_pb.js";
import { createFrameReader, grpcFrame } from "./grpc-frames.js";

export interface Subscriptions {
  /** Resolves once every stream has received its first message (the heartbeat). */
  opened: Promise<void>;
  close(): void;
}

/**
 * Opens `count` SubscribeNotes streams with heartbeats over raw HTTP/2 (a light client, so the
 * load generator measures the server, not itself), spread over sessions of at most
 * `streamsPerSession` streams.
 */
export function openSubscriptions(
  port: number,
  count: number,
  location: Point,
  onNote: (note: StoredNote) => void = () => {},
  streamsPerSession = 1000,
): Subscriptions {
  const sessions: http2.ClientHttp2Session[] = [];
  const request = grpcFrame(toBinary(SubscribeNotesRequestSchema, create(SubscribeNotesRequestSchema, { scope: { case: "location", value: location }, heartbeats: true })));
  let waiting = count;
  let resolveOpened!: () => void;
  let rejectOpened!: (error: Error) => void;
  const opened = new Promise<void>((resolve, reject) => ((resolveOpened = resolve), (rejectOpened = reject)));
  if (count === 0) resolveOpened();
  for (let index = 0; index < count; index++) {
    if (index % streamsPerSession === 0) {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on("error", (error) => rejectOpened(error));
      sessions.push(session);
    }
    const stream = sessions.at(-1)!.request({ ":method": "POST", ":path": "/routeguide.RouteNotesService/SubscribeNotes", "content-type": "application/grpc", te: "trailers" });
    let first = true;
    stream.on(
      "data",
      createFrameReader((message) => {
        if (first && --waiting === 0) resolveOpened();
        first = false;
        const note = fromBinary(StoredNoteSchema, message);
        if (note.id !== 0n) onNote(note);
      }),
    );
    stream.on("error", () => {});
    stream.end(request);
  }
  return {
    opened,
    close: () => sessions.forEach((session) => session.destroy()),
  };
}
