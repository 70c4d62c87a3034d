import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

/** A request on either HTTP version, as Node's http and http2 (compatibility) servers hand it over. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;
export type NodeResponse = ServerResponse | Http2ServerResponse;
/** What every layer of the HTTP stack takes and returns: Node's request handler, for both versions. */
export type NodeHandler = (request: NodeRequest, response: NodeResponse) => void;
