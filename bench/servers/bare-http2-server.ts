// The h2c ceiling on this machine: node:http2's stream API answering every request with one
// fixed, pre-encoded GetFeature reply and no parsing at all: gRPC (status in trailers) for a gRPC
// content type, else in the form the content type asks for, as bare-http1-server.ts answers.
// Prints "listening on PORT".
import http2 from "node:http2";
import { GRPC_MESSAGE, webReply } from "./fixed-replies.js";

const server = http2.createServer();
server.on("stream", (stream, headers) => {
  const contentType = headers["content-type"];
  stream.on("data", () => {});
  stream.on("end", () => {
    if (contentType === "application/grpc") {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(GRPC_MESSAGE);
      return;
    }
    const reply = webReply(contentType);
    stream.respond({ ":status": 200, "content-type": reply.contentType, "content-length": reply.body.length });
    stream.end(reply.body);
  });
  stream.on("error", () => {});
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening on ${(server.address() as { port: number }).port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
