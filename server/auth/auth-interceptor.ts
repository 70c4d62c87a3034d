import type { Interceptor } from "@connectrpc/connect";
import type { Authenticate } from "./authenticator.js";
import { identityKey } from "./identity.js";

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
  // Decided once per method, not on every call.
  const publicMethods = new WeakMap<object, boolean>();
  const isPublicMethod = (method: { parent: { typeName: string }; name: string }) => {
    let answer = publicMethods.get(method);
    if (answer === undefined) publicMethods.set(method, (answer = isPublic(method.parent.typeName, method.name)));
    return answer;
  };
  return (next) => async (request) => {
    if (!isPublicMethod(request.method)) {
      request.contextValues.set(identityKey, await authenticate(request.header.get("authorization")));
    }
    return next(request);
  };
}
