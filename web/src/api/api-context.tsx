import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { TransportProvider } from "@connectrpc/connect-query";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { ChatRoomService } from "../../../gen/userservice/chat_room_pb";
import { RouteGuide } from "../../../gen/routeguide/route_guide_pb";
import { RouteNotesService } from "../../../gen/routeguide/route_notes_pb";
import { RouteRecordingService } from "../../../gen/routeguide/route_recording_pb";
import { UserService } from "../../../gen/userservice/user_service_pb";
import { createSessionStore, type Session, type SessionStore } from "../session/session-store";
import { createNetworkLog, type NetworkLog } from "./network-log";
import { createTransport, isProtocolId, type ProtocolId } from "./protocols";

export interface Api {
  protocol: ProtocolId;
  setProtocol(protocol: ProtocolId): void;
  /** The chosen protocol's transport (connect-query's queries use it too). */
  transport: Transport;
  users: Client<typeof UserService>;
  routeGuide: Client<typeof RouteGuide>;
  routeNotes: Client<typeof RouteNotesService>;
  routeRecording: Client<typeof RouteRecordingService>;
  chatRoom: Client<typeof ChatRoomService>;
  log: NetworkLog;
  sessions: SessionStore;
}

const ApiContext = createContext<Api | undefined>(undefined);
const PROTOCOL_KEY = "grpc-browser-app.protocol";

/**
 * Where the API is: VITE_API_URL in development (the API's own port, through CORS), the
 * page's own origin in production (one port for the page and every protocol).
 */
export function apiBaseUrl(): string {
  return (import.meta.env.VITE_API_URL as string | undefined) || window.location.origin;
}

/** Clients for the chosen protocol; switching protocol swaps them, so the next call uses it. */
export function ApiProvider({ children, baseUrl = apiBaseUrl() }: { children: ReactNode; baseUrl?: string }) {
  const [log] = useState(createNetworkLog);
  const [sessions] = useState(() => createSessionStore());
  const [protocol, setProtocolState] = useState<ProtocolId>(() => {
    const saved = localStorage.getItem(PROTOCOL_KEY);
    return isProtocolId(saved) ? saved : "connect-json";
  });
  const api = useMemo<Api>(() => {
    const transport = createTransport(protocol, { baseUrl, token: () => sessions.token(), log });
    return {
      protocol,
      setProtocol(next) {
        localStorage.setItem(PROTOCOL_KEY, next);
        setProtocolState(next);
      },
      transport,
      users: createClient(UserService, transport),
      routeGuide: createClient(RouteGuide, transport),
      routeNotes: createClient(RouteNotesService, transport),
      routeRecording: createClient(RouteRecordingService, transport),
      chatRoom: createClient(ChatRoomService, transport),
      log,
      sessions,
    };
  }, [protocol, baseUrl, log, sessions]);
  const [queries] = useState(createQueryClient);
  // What GetUser returns depends on who asks (emails go to their owner and admins only), so
  // cached answers go when the session changes.
  useEffect(() => sessions.subscribe(() => queries.clear()), [sessions, queries]);
  return (
    <ApiContext.Provider value={api}>
      <TransportProvider transport={api.transport}>
        <QueryClientProvider client={queries}>{children}</QueryClientProvider>
      </TransportProvider>
    </ApiContext.Provider>
  );
}

/**
 * Unary answers (GetUser, GetFeature) through connect-query: cached for a minute and shared by
 * every component that asks, refetched when stale; failures are not retried (the page says what
 * went wrong and offers its own retry).
 */
function createQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { staleTime: 60_000, retry: false, refetchOnWindowFocus: false } } });
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (api === undefined) throw new Error("useApi outside ApiProvider");
  return api;
}

export function useSession(): Session | undefined {
  const { sessions } = useApi();
  return useSyncExternalStore(sessions.subscribe, () => sessions.current());
}
