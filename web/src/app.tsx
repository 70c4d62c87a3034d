import { create } from "@bufbuild/protobuf";
import { useState } from "react";
import { type Point, PointSchema } from "../../gen/routeguide/route_guide_pb";
import { ChatPanel } from "./chat/chat-panel";
import { NetworkPanel } from "./network/network-panel";
import { ProtocolSwitch } from "./network/protocol-switch";
import { RouteChatPanel } from "./route-chat/route-chat-panel";
import { RouteMap } from "./route-guide/route-map";
import { SessionPanel } from "./session/session-panel";
import { UsersPanel } from "./users/users-panel";

/** A named canonical feature, so the chat opens somewhere real. */
const FIRST_PLACE = { point: create(PointSchema, { latitude: 407838351, longitude: -746143763 }), name: "Patriots Path, Mendham, NJ 07945, USA" };

export function App() {
  const [place, setPlace] = useState<{ point: Point; name: string }>(FIRST_PLACE);
  const chatAt = (point: Point, name: string) => setPlace({ point, name });
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <h1>gRPC in the browser</h1>
        <ProtocolSwitch />
        <SessionPanel />
      </header>
      <nav aria-label="Sections" className="sections">
        <a href="#users">Users</a>
        <a href="#route-guide">Route guide</a>
        <a href="#route-chat">RouteChat</a>
        <a href="#chat">Chat room</a>
        <a href="#network">Network</a>
      </nav>
      <main id="main" className="layout">
        <UsersPanel />
        <RouteMap onChatHere={chatAt} />
        <RouteChatPanel location={place.point} placeName={place.name} onLocationChange={chatAt} />
        <ChatPanel />
        <NetworkPanel />
      </main>
    </>
  );
}
