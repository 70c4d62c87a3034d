// Experiment: a fixed gRPC-Web reply behind listenOnePort vs a plain http.createServer.
import http from "node:http";
import { listenOnePort } from "../server/http/one-port-server.js";
const body = Buffer.concat([Buffer.from([0, 0, 0, 0, 3, 8, 1, 16]), Buffer.from([0x80, 0, 0, 0, 16]), Buffer.from("grpc-status: 0\r\n")]);
const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
  request.on("data", () => {});
  request.on("end", () => {
    response.writeHead(200, { "content-type": "application/grpc-web+proto", "content-length": body.length });
    response.end(body);
  });
};
if (process.argv[2] === "one-port") {
  const server = await listenOnePort({ handler: handler as never, port: 7411 });
  console.log(`listening on ${server.port}`);
} else {
  http.createServer(handler).listen(7411, "127.0.0.1", () => console.log("listening on 7411"));
}
