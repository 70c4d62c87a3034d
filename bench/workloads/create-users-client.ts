// CreateUser load generator (run pinned to the other core): CONCURRENCY calls at a time over one
// h2c connection for SECONDS, each with a new username under PREFIX. Counts the calls answered
// OK (grpc-status 0); any other answer fails the run. Prints one JSON line.
import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { CreateUserRequestSchema } from "../../gen/userservice/user_service_pb.js";
import { grpcFrame } from "../lib/grpc-frames.js";

const [port, seconds, concurrency] = process.argv.slice(2, 5).map(Number) as [number, number, number];
const prefix = process.argv[5] as string;
const token = process.argv[6] as string;
const session = http2.connect(`http://127.0.0.1:${port}`);
session.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
let next = 0;
let created = 0;
const stopAt = performance.now() + seconds * 1000;

function createOne(): Promise<void> {
  const name = `${prefix}${next++}`;
  const body = grpcFrame(toBinary(CreateUserRequestSchema, create(CreateUserRequestSchema, { username: name, email: `${name}@example.com`, password: "long enough" })));
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": "/userservice.UserService/CreateUser", "content-type": "application/grpc", te: "trailers", authorization: `Bearer ${token}` });
    let status: string | undefined;
    stream.on("response", (headers) => (status = headers["grpc-status"] as string | undefined));
    stream.on("trailers", (trailers) => (status = trailers["grpc-status"] as string | undefined));
    stream.on("data", () => {});
    stream.on("end", () => (status === "0" ? resolve() : reject(new Error(`CreateUser ${name}: grpc-status ${status}`))));
    stream.on("error", reject);
    stream.end(body);
  });
}

const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < stopAt) {
      await createOne();
      created++;
    }
  }),
);
const elapsed = (performance.now() - started) / 1000;
session.close();
console.log(JSON.stringify({ created, seconds: elapsed, perSecond: created / elapsed }));
