// The HTTP/1.1 ceiling on this machine, as bare-http2-server.ts is for h2c: node:http answering
// every request with one fixed, pre-encoded GetFeature reply in the protocol the request's
// content-type asks for (gRPC-Web, Connect JSON, Connect binary), after reading the body, with
// no parsing at all. Keep-alive, as browsers use it. Prints "listening on PORT".
import http from "node:http";
import { webReply } from "./fixed-replies.js";

const server = http.createServer((request, response) => {
  request.on("data", () => {});
  request.on("end", () => {
    const reply = webReply(request.headers["content-type"]);
    response.writeHead(200, { "content-type": reply.contentType, "content-length": reply.body.length });
    response.end(reply.body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening on ${(server.address() as { port: number }).port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
