import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  RouteNotesService,
  type StoredNote,
  type SubscribeNotesRequest,
} from "../../gen/routeguide/route_notes_pb.js";
import { streamUntilDone } from "../lib/handler-streams.js";
import { type Bounds, pointBounds, requireValidBounds, requireValidPoint } from "./geo.js";
import type { NoteBoard } from "./note-board.js";

/** Browser companions of RouteChat: a server-streaming subscription and a unary post. */
export function createRouteNotesService({ board }: { board: NoteBoard }): ServiceImpl<typeof RouteNotesService> {
  return {
    subscribeNotes(request, context) {
      const area = scopeBounds(request.scope);
      if (request.afterId < 0n) {
        throw new ConnectError("after_id: must not be negative", Code.InvalidArgument);
      }
      return streamUntilDone<StoredNote>(context, (outgoing) => {
        const feed = board.openFeed({ deliver: (note) => outgoing.push(note) });
        feed.replayAndWatch(area, request.afterId).catch((error) => outgoing.fail(error));
        return feed.close;
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
      return pointBounds(requireValidPoint(scope.value, "location"));
    case "area":
      return requireValidBounds(scope.value, "area");
    default:
      throw new ConnectError("scope: set either location or area", Code.InvalidArgument);
  }
}
