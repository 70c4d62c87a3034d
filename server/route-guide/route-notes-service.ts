import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  RouteNotesService,
  type StoredNote,
  StoredNoteSchema,
  type SubscribeNotesRequest,
} from "../../gen/routeguide/route_notes_pb.js";
import { startHeartbeats, streamUntilDone } from "../lib/handler-streams.js";
import { type Bounds, pointBounds, rectangleBounds } from "./geo.js";
import type { NoteBoard } from "./note-board.js";

export interface RouteNotesServiceOptions {
  board: NoteBoard;
  /** Interval between heartbeats on streams that ask for them. Default: 15,000 ms. */
  heartbeatMs?: number;
}

/** What a heartbeat looks like on the wire: id 0, no note. */
export const HEARTBEAT: StoredNote = create(StoredNoteSchema, { id: 0n });

/** Browser companions of RouteChat: a server-streaming subscription and a unary post. */
export function createRouteNotesService({ board, heartbeatMs = 15_000 }: RouteNotesServiceOptions): ServiceImpl<typeof RouteNotesService> {
  return {
    subscribeNotes(request, context) {
      const area = scopeBounds(request.scope);
      return streamUntilDone<StoredNote>(context, (outgoing) => {
        // First, so that a client sees the stream open even when there is no history to send.
        const stopHeartbeats = request.heartbeats ? startHeartbeats(outgoing, HEARTBEAT, heartbeatMs) : undefined;
        const feed = board.openFeed({ deliver: (note) => outgoing.push(note), drained: outgoing.drained, onLost: outgoing.fail });
        feed.replayAndWatch(area, request.afterId).catch((error) => outgoing.fail(error));
        return () => {
          stopHeartbeats?.();
          feed.close();
        };
      });
    },

    postNote(note) {
      return board.post(note);
    },
  };
}

function scopeBounds(scope: SubscribeNotesRequest["scope"]): Bounds {
  switch (scope.case) {
    case "location":
      return pointBounds(scope.value);
    case "area":
      return rectangleBounds(scope.value);
    default:
      throw new Error("scope passed validation unset");
  }
}
