import type { DescService } from "@bufbuild/protobuf";
import { Code, type ConnectRouter, type ConnectRouterOptions } from "@connectrpc/connect";
import { createLogger, type Logger } from "./observability/logger.js";
import { createMetrics } from "./observability/metrics.js";
import type { Tracer } from "@opentelemetry/api";
import { traceCalls } from "./observability/trace-calls.js";
import { traceHub, traceStorage } from "./observability/trace-backends.js";
import { timeDeliveries } from "./observability/time-deliveries.js";
import { afterDeferredWrites } from "./http/frame-batch.js";
import { serveMetrics } from "./observability/metrics-endpoint.js";
import { logRefusal, observeCalls } from "./observability/observe-calls.js";
import { type Refusal, withConnectGetGuard } from "./http/connect-get-guard.js";
import { connectionTransportInfo, type TransportInfo, transportInfoKey } from "./http/transport-info.js";
import { createCallValues } from "./http/call-values.js";
import { procedureName } from "./lib/per-method.js";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { RouteGuide } from "../gen/routeguide/route_guide_pb.js";
import { RouteNotesService } from "../gen/routeguide/route_notes_pb.js";
import { RouteRecordingService } from "../gen/routeguide/route_recording_pb.js";
import { ChatRoomService } from "../gen/userservice/chat_room_pb.js";
import { type ChatMessage, UserService } from "../gen/userservice/user_service_pb.js";
import { requireAuthentication } from "./auth/auth-interceptor.js";
import { createAuthenticator } from "./auth/authenticator.js";
import { createLogin } from "./auth/login.js";
import { createLoginThrottle, type LoginThrottle, type LoginThrottleOptions } from "./auth/login-throttle.js";
import { type DependencyWatch, watchDependencies } from "./health/dependency-watch.js";
import { createTokenSigner, type TokenSignerOptions } from "./auth/token-signer.js";
import { createChatRoom } from "./chat/chat-room.js";
import { createChatRoomService } from "./chat/chat-room-service.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { file_google_rpc_error_details } from "../gen/google/rpc/error_details_pb.js";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { ServerReflection } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1Alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { createHealthStatus, type HealthStatus } from "./health/health-status.js";
import { createHealthService } from "./health/health-service.js";
import { createReflectionService } from "./reflection/reflection-service.js";
import { createInProcessHub, type LiveHub } from "./hub/live-hub.js";
import { createCorsPolicy, withCors } from "./http/cors.js";
import { withRequestBodyTimeout } from "./http/request-body-timeout.js";
import { withUnreadBodyRelease } from "./http/unread-body.js";
import { withWritesReleasedOnClose } from "./http/closed-response.js";
import { serveSpa } from "./web/serve-spa.js";
import { withWireStatusFixes } from "./http/wire-status.js";
import { withGrpcTrailersOnly } from "./http/grpc-trailers-only.js";
import { createGrpcFastPath } from "./http/grpc-fast-path.js";
import { collectLeanRoutes } from "./http/lean-routes.js";
import type { ClaimStream } from "./http/one-port-server.js";
import { createWebLeanPath, withWebLeanPath } from "./http/web-lean-path.js";
import { hideInternalErrors } from "./http/internal-errors.js";
import { type FeatureDb, loadFeatureDb } from "./route-guide/feature-db.js";
import { createNoteBoard, type NoteEvent } from "./route-guide/note-board.js";
import { createRouteGuideService } from "./route-guide/route-guide-service.js";
import { createRouteNotesService } from "./route-guide/route-notes-service.js";
import { createRouteRecordingService } from "./route-guide/route-recording-service.js";
import { openEmbeddedStorage } from "./storage/open-storage.js";
import type { Storage } from "./storage/storage.js";
import { createUserDirectory } from "./users/user-directory.js";
import { createPasswordWork } from "./users/password-work.js";
import { limitStreamsPerConnection } from "./limits/connection-streams.js";
import { DEFAULT_MAX_MESSAGE_BYTES, registerWithSizeLimits } from "./limits/message-size.js";
import { DEFAULT_RATE_LIMITS, limitRates, type RateLimitStore, type RateLimits } from "./limits/rate-limit-interceptor.js";
import { withTimeoutClamp } from "./http/timeout-clamp.js";
import { retryableError } from "./limits/retry-info.js";
import type { NodeRequest } from "./http/node-handler.js";
import { BATCH_METHOD, createUserService } from "./users/user-service.js";
import { validateRequests } from "./validation/validate-requests.js";
import { serviceRules } from "../validation/service-rules.js";

export { DEFAULT_MAX_MESSAGE_BYTES } from "./limits/message-size.js";

/** What open streams are told when the server stops. */
export const SHUTDOWN_MESSAGE = "server is shutting down; reconnect to another instance or retry shortly";
/** The RetryInfo delay sent with it: long enough for a load balancer to route around this replica. */
export const SHUTDOWN_RETRY_MS = 1_000;

export interface AppOptions {
  /**
   * The SQLite database, e.g. "sqlite:data/app.db". Default: DEFAULT_DATABASE_URL. Ignored if `storage` is given;
   * PostgreSQL is opened asynchronously with openStorage and passed as `storage`.
   */
  databaseUrl?: string;
  /** An already open storage (tests). */
  storage?: Storage;
  /** Default: the canonical 100 features. */
  features?: FeatureDb;
  /** Hubs for live fan-out. Default: in-process. For several replicas see server/backends.ts (Redis). */
  noteHub?: LiveHub<NoteEvent>;
  chatHub?: LiveHub<ChatMessage>;
  /** Where login attempts are counted. Default: in memory (createLoginThrottle with auth.throttle). */
  loginThrottle?: LoginThrottle;
  /** Where the rate limits' buckets live. Default: in memory; Redis for several replicas (server/backends.ts). */
  rateLimitStore?: RateLimitStore;
  /** Time between checks of the database and hubs behind grpc.health.v1 (HEALTH_CHECK_INTERVAL_MS). Default: 2,000 ms. */
  healthCheckIntervalMs?: number;
  /** Interval between heartbeats on SubscribeNotes and chat Subscribe streams that ask for them. Default: 15,000 ms. */
  heartbeatMs?: number;
  /** Largest request message accepted, in bytes (MAX_MESSAGE_BYTES); larger ones get RESOURCE_EXHAUSTED. Default: 64 KiB. */
  maxMessageBytes?: number;
  /** Per-method overrides of maxMessageBytes (MAX_MESSAGE_BYTES_BY_METHOD). Default: none. */
  maxMessageBytesByMethod?: Readonly<Record<string, number>>;
  /** Per-client rates of notes, chat messages, sign-ups and logins (RATE_LIMIT_*). Default: DEFAULT_RATE_LIMITS. */
  rateLimits?: RateLimits;
  /** Response streams open at once on one connection (MAX_STREAMS_PER_CONNECTION). Default: 100. */
  maxStreamsPerConnection?: number;
  /** An HTTP/2 request body (unary and server-streaming methods) not complete this long after it began is reset (REQUEST_TIMEOUT_MS). Default: 30,000 ms. */
  requestBodyTimeoutMs?: number;
  /** Notes kept per location; older ones are deleted as new ones arrive (NOTES_PER_LOCATION). Default: 1,000. */
  notesPerLocation?: number;
  /** Password hashes computed at once, and waiting, before logins and sign-ups are refused. Default: 2 and 32. */
  passwordWork?: { concurrency?: number; maxQueued?: number };
  /** Authentication: token signing (AUTH_SECRET, AUTH_TOKEN_TTL_SECONDS) and static tokens (AUTH_TOKENS). */
  auth?: TokenSignerOptions & { serviceTokens?: readonly string[]; throttle?: LoginThrottleOptions };
  /** Browser origins allowed to call cross-origin. Default: none. */
  corsOrigins?: readonly string[];
  /** Where server faults are reported (their details never reach clients). Default: the logger. */
  reportError?: (error: unknown, procedure: string) => void;
  /** The built web app served on the same port (WEB_ROOT). Default: web/dist; null serves no web app. */
  webRoot?: string | null;
  /**
   * Serve unary and server-streaming gRPC over HTTP/2 on a leaner path than connect-node's (same
   * handlers, same interceptors; see server/http/grpc-fast-path.ts). GRPC_FAST_PATH=off disables it. Default: true.
   */
  grpcFastPath?: boolean;
  /**
   * Serve unary and server-streaming gRPC-Web and Connect calls (both HTTP versions) on a leaner path than
   * connect-node's (same handlers, same interceptors, same answers; see server/http/web-lean-path.ts).
   * WEB_LEAN_PATH=off disables it. Default: true.
   */
  webLeanPath?: boolean;
  /** Structured log of every call and server event. Default: JSON lines on stdout at "info". */
  logger?: Logger;
  /**
   * OpenTelemetry tracer (startTracing, from the OTEL_* variables): a server span per call, and
   * storage and hub spans beneath it. Default: none, and then no tracing code runs.
   */
  tracer?: Tracer;
}

export interface App {
  /** Registers every service on a router (also usable with createRouterTransport in tests). */
  routes(router: ConnectRouter): void;
  /** Interceptors and limits, shared by the HTTP handler and in-memory transports. */
  routerOptions: ConnectRouterOptions;
  /** The Node request handler for both HTTP versions: CORS, wire status fixes, then gRPC, gRPC-Web and Connect. */
  handler: ReturnType<typeof withCors>;
  /**
   * Claims unary and server-streaming calls on HTTP/2 streams before they reach `handler`, and serves them on
   * the lean paths (listenOnePort's claimStream): gRPC on the fast path, gRPC-Web and Connect on the web lean
   * path. Undefined when both are off.
   */
  claimStream: ClaimStream | undefined;
  readonly storage: Storage;
  readonly noteHub: LiveHub<NoteEvent>;
  readonly chatHub: LiveHub<ChatMessage>;
  readonly logger: Logger;
  /** Serving status reported by grpc.health.v1.Health. */
  readonly health: HealthStatus;
  /** Checks of the database and hubs that drive health. */
  readonly dependencies: DependencyWatch;
  /**
   * First step of a graceful shutdown: health turns NOT_SERVING for good, so that load balancers
   * stop sending new calls; calls are still served meanwhile. Idempotent.
   */
  stopServing(): void;
  /**
   * Ends live calls: after stopServing, every open call's context aborts, so live streams end
   * with UNAVAILABLE and a message asking clients to reconnect. Unary calls in flight carry on. Idempotent.
   */
  beginShutdown(): void;
  /** Begins shutdown if needed, then closes storage; call once no request is in flight. */
  close(): Promise<void>;
}

/** "/pkg.Service/Method" of every method whose request is a single message. */
function singleMessagePaths(services: readonly DescService[]): Set<string> {
  const paths = new Set<string>();
  for (const service of services) {
    for (const method of service.methods) {
      if (method.methodKind === "unary" || method.methodKind === "server_streaming") paths.add(`/${service.typeName}/${method.name}`);
    }
  }
  return paths;
}

/** Builds the services and their dependencies; listening on a port is the caller's business. */
export function createApp(options: AppOptions = {}): App {
  const { tracer } = options;
  const untracedStorage = options.storage ?? openEmbeddedStorage(options.databaseUrl);
  const storage = tracer ? traceStorage(untracedStorage, tracer) : untracedStorage;
  const features = options.features ?? loadFeatureDb();
  const logger = options.logger ?? createLogger();
  const reportError =
    options.reportError ?? ((error, procedure) => logger.error("server fault", { method: procedure, error }));
  const metrics = createMetrics({
    hubSubscribers: { notes: () => noteHub.subscriberCount(), chat: () => chatHub.subscriberCount() },
  });
  // Each event's fan-out is timed (a metric, and a debug line with the exact figure).
  const timed = <T>(hub: LiveHub<T>, name: string) =>
    timeDeliveries(
      hub,
      ({ subscribers, seconds }) => {
        metrics.recordDelivery(name, seconds);
        logger.debug("delivered", { hub: name, subscribers, ms: Math.round(seconds * 10_000) / 10 });
      },
      afterDeferredWrites,
    );
  const untracedNoteHub = timed(options.noteHub ?? createInProcessHub<NoteEvent>(), "notes");
  const untracedChatHub = timed(options.chatHub ?? createInProcessHub<ChatMessage>(), "chat");
  const noteHub = tracer ? traceHub(untracedNoteHub, "notes", tracer) : untracedNoteHub;
  const chatHub = tracer ? traceHub(untracedChatHub, "chat", tracer) : untracedChatHub;

  const board = createNoteBoard({ store: storage.notes, hub: noteHub, keepPerLocation: options.notesPerLocation });
  const room = createChatRoom({ hub: chatHub });
  const passwords = createPasswordWork(options.passwordWork);
  const users = createUserDirectory({ store: storage.users, hash: passwords.hash });
  const signer = createTokenSigner(options.auth);
  const throttle = options.loginThrottle ?? createLoginThrottle(options.auth?.throttle);
  const login = createLogin({ users: storage.users, signer, passwords, throttle });
  const authenticate = createAuthenticator({ signer, users: storage.users, serviceTokens: options.auth?.serviceTokens });
  const rules = serviceRules();
  const shutdown = new AbortController();
  const served = [RouteGuide, RouteNotesService, RouteRecordingService, UserService, ChatRoomService, Health, ServerReflection, ServerReflectionV1Alpha];
  const health = createHealthStatus(served.map((service) => service.typeName));
  const dependencies = watchDependencies({
    health,
    intervalMs: options.healthCheckIntervalMs,
    checks: { database: () => storage.check(), "note hub": () => noteHub.check(), "chat hub": () => chatHub.check() },
    onChange: (failing) => {
      const names = Object.keys(failing);
      if (names.length === 0) logger.info("dependencies reachable again: serving");
      else logger.warn(`unreachable: ${names.join(", ")}; health is NOT_SERVING`, { errors: Object.values(failing).map(String) });
    },
  });
  // The error details' types too (RetryInfo, BadRequest, buf.validate.Violations), so that tools
  // that learn the schema by reflection can decode them.
  const reflection = createReflectionService(
    [...served.map((service) => service.file), file_google_rpc_error_details, file_buf_validate_validate],
    served.map((service) => service.typeName),
  );
  const requestBodyTimeoutMs = options.requestBodyTimeoutMs ?? 30_000;
  const sizeLimits = { defaultBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, byMethod: options.maxMessageBytesByMethod };
  const routerOptions: ConnectRouterOptions = {
    readMaxBytes: sizeLimits.defaultBytes,
    // Outermost first: every call is logged and counted, faults are hidden, then the caller is
    // identified, and only then are per-client limits applied (a signed-in user counts as itself);
    // requests are checked against their rules last, so invalid ones are counted by the limits too.
    interceptors: [
      ...(tracer ? [traceCalls(tracer)] : []),
      observeCalls(logger, metrics),
      hideInternalErrors(reportError),
      requireAuthentication(authenticate),
      limitStreamsPerConnection(options.maxStreamsPerConnection ?? 100),
      limitRates(options.rateLimits ?? DEFAULT_RATE_LIMITS, options.rateLimitStore),
      validateRequests(rules, { checkedByHandler: [BATCH_METHOD] }),
    ],
    shutdownSignal: shutdown.signal,
  };

  function routes(router: ConnectRouter): void {
    const register = (service: DescService, impl: object) => registerWithSizeLimits(router, service, impl, sizeLimits);
    register(RouteGuide, createRouteGuideService({ features, board }));
    register(RouteNotesService, createRouteNotesService({ board, heartbeatMs: options.heartbeatMs }));
    register(RouteRecordingService, createRouteRecordingService({ features }));
    register(UserService, createUserService({ users, room, login, rules }));
    register(ChatRoomService, createChatRoomService({ room, heartbeatMs: options.heartbeatMs }));
    register(Health, createHealthService(health));
    register(ServerReflection, reflection.v1);
    register(ServerReflectionV1Alpha, reflection.v1alpha);
  }

  const contextValues = (info: TransportInfo) => createCallValues().set(transportInfoKey, info);
  // HTTP/2 requests: the session is the connection (each request's socket is a proxy of its own).
  const transportOf = (request: NodeRequest) =>
    "stream" in request
      ? connectionTransportInfo(request.httpVersion, request.stream.session?.socket, request.stream.session)
      : connectionTransportInfo(request.httpVersion, request.socket, request.socket);
  const connectHandler = connectNodeAdapter({
    routes,
    ...routerOptions,
    contextValues: (request) => contextValues(transportOf(request)),
    fallback: serveMetrics(metrics.registry, options.webRoot === null ? undefined : serveSpa({ root: options.webRoot })),
  });
  const procedures = new Set(served.flatMap((service) => service.methods.map(procedureName)));
  const logRefused = (refusal: Refusal) => {
    const { peer, httpVersion } = transportOf(refusal.request);
    logRefusal(logger, metrics, { ...refusal, httpVersion, peer, userAgent: refusal.request.headers["user-agent"] }, procedures);
  };
  // The HTTP layers around connect-node, from the inside out (each sees the request before the
  // layers it wraps): wire status fixes, trailers-only gRPC errors, the lean path for browsers' protocols (which
  // answers as the two layers beneath it do), release of dead and early-answered calls, deadline
  // clamp, the Connect GET guard, the HTTP/2 body timeout, then CORS.
  let http = withWireStatusFixes(connectHandler);
  http = withGrpcTrailersOnly(http);
  const cors = createCorsPolicy({ allowedOrigins: options.corsOrigins });
  // One route table for both lean paths: one interceptor chain per method, and a live message
  // fanned out to gRPC and browser subscribers alike serialized once.
  const leanRoutes =
    options.webLeanPath === false && options.grpcFastPath === false
      ? undefined
      : collectLeanRoutes(routes, routerOptions.interceptors ?? [], sizeLimits.defaultBytes);
  const webLean =
    options.webLeanPath === false ? undefined : createWebLeanPath({ leanRoutes, shutdownSignal: shutdown.signal, contextValues, cors, requestBodyTimeoutMs });
  if (webLean !== undefined) http = withWebLeanPath(http, webLean);
  http = withWritesReleasedOnClose(http);
  http = withUnreadBodyRelease(http);
  http = withTimeoutClamp(http);
  http = withConnectGetGuard(http, logRefused);
  http = withRequestBodyTimeout(http, singleMessagePaths(served), requestBodyTimeoutMs);
  const handler = withCors(http, cors);
  const grpcFast =
    options.grpcFastPath === false
      ? undefined
      : createGrpcFastPath({ leanRoutes, requestBodyTimeoutMs, shutdownSignal: shutdown.signal, contextValues });
  const claimStream = eitherClaim(grpcFast, webLean?.claimStream);

  function beginShutdown(): void {
    if (shutdown.signal.aborted) return;
    dependencies.stopServing();
    shutdown.abort(retryableError(SHUTDOWN_MESSAGE, Code.Unavailable, SHUTDOWN_RETRY_MS));
  }

  return {
    routes,
    routerOptions,
    handler,
    claimStream,
    storage,
    noteHub,
    chatHub,
    health,
    logger,
    dependencies,
    stopServing: () => dependencies.stopServing(),
    beginShutdown,
    async close() {
      beginShutdown();
      dependencies.close();
      await storage.close();
    },
  };
}

/** Either claim, the first one first; undefined if neither is on. */
function eitherClaim(first: ClaimStream | undefined, second: ClaimStream | undefined): ClaimStream | undefined {
  if (first === undefined || second === undefined) return first ?? second;
  return (stream, headers, rawHeaders) => first(stream, headers, rawHeaders) || second(stream, headers, rawHeaders);
}
