import type { Interceptor } from "@connectrpc/connect";
import type { Authenticate } from "./authenticator.js";
import { identityKey } from "./identity.js";
import { perMethod } from "../lib/per-method.js";

/**
 * Methods anyone may call. Everything else needs a token, so a method added later is
 * protected until someone decides otherwise.
 */
export const PUBLIC_PROCEDURES: ReadonlySet<string> = new Set([
  "routeguide.RouteGuide/*",
  "routeguide.RouteNotesService/*",
  "routeguide.RouteRecordingService/*",
  "userservice.UserService/CreateUser",
  "userservice.UserService/Login",
  "grpc.health.v1.Health/*",
  "grpc.reflection.v1.ServerReflection/*",
  "grpc.reflection.v1alpha.ServerReflection/*",
]);

export function isPublic(service: string, method: string): boolean {
  return PUBLIC_PROCEDURES.has(`${service}/*`) || PUBLIC_PROCEDURES.has(`${service}/${method}`);
}

/**
 * Authenticates before the handler runs, so a refused call has read no request message and
 * changed nothing. The identity is handed to handlers as a context value.
 */
export function requireAuthentication(authenticate: Authenticate): Interceptor {
  const isPublicMethod = perMethod((method) => isPublic(method.parent.typeName, method.name));
  // Not async: public calls pass straight through, without another promise per call.
  return (next) => (request) => {
    if (isPublicMethod(request.method)) return next(request);
    return authenticate(request.header.get("authorization")).then((identity) => {
      request.contextValues.set(identityKey, identity);
      return next(request);
    });
  };
}
