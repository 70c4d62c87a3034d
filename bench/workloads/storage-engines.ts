import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { GetUserRequestSchema, UserSchema } from "../../gen/userservice/user_service_pb.js";
import { createFrameReader, grpcFrame } from "../lib/grpc-frames.js";
import { h2load } from "../lib/h2load.js";
import { rawCall } from "../lib/raw-call.js";
import { runClient } from "../lib/run-client.js";
import { formatNumber, median, ratio } from "../lib/stats.js";

/** One project server and what the workload needs to know about its database. */
export interface EngineServer {
  /** "SQLite" or "PostgreSQL". */
  engine: string;
  port: number;
  /** A user that exists, for GetUser. */
  userId: string;
}

export interface EngineResult {
  engine: string;
  getUser: number[];
  createUser: number[];
}

export interface EngineOptions {
  rounds: number;
  seconds: number;
  /** Fixed GetUser count instead of a duration (smoke runs). */
  requests?: number;
  token: string;
  loadCpu?: number;
}

const createUsersClient = new URL("./create-users-client.ts", import.meta.url).pathname;
const GET_USER = "/userservice.UserService/GetUser";

/**
 * GetUser (h2load -c 8 -m 8, one stored user) and CreateUser (4 at a time, a new user each: the
 * most one client may hash at once) on each server, in interleaved rounds. CreateUser includes
 * the scrypt hash, as every sign-up does.
 */
export async function measureStorageEngines(servers: readonly EngineServer[], options: EngineOptions, log: (line: string) => void): Promise<EngineResult[]> {
  const headers = { "content-type": "application/grpc", te: "trailers", authorization: `Bearer ${options.token}` };
  const results = servers.map((server) => ({ engine: server.engine, getUser: [] as number[], createUser: [] as number[] }));
  for (const server of servers) {
    const response = await rawCall(server.port, GET_USER, headers, getUserBody(server.userId));
    const status = response.trailers["grpc-status"] ?? response.headers["grpc-status"];
    const messages: Buffer[] = [];
    createFrameReader((message) => messages.push(message))(response.body);
    if (status !== "0" || messages[0] === undefined || fromBinary(UserSchema, messages[0]).id !== server.userId) {
      throw new Error(`${server.engine}: GetUser answered grpc-status ${status}`);
    }
  }
  for (let round = 1; round <= options.rounds; round++) {
    for (const [index, server] of servers.entries()) {
      const result = results[index] as EngineResult;
      const getUser = await h2load({ url: `http://127.0.0.1:${server.port}${GET_USER}`, headers, body: getUserBody(server.userId), durationSeconds: options.seconds, requests: options.requests, cpu: options.loadCpu });
      if (getUser.failed > 0) throw new Error(`${server.engine}: ${getUser.failed} failed GetUser requests`);
      result.getUser.push(getUser.requestsPerSecond);
      const output = await runClient(createUsersClient, [server.port, options.requests === undefined ? options.seconds : 1, 4, `bench${round}r${Date.now().toString(36)}u`, options.token], options.loadCpu);
      const created = JSON.parse(output.trim().split("\n").at(-1) as string) as { perSecond: number };
      result.createUser.push(created.perSecond);
      log(`round ${round}: ${server.engine}: GetUser ${formatNumber(getUser.requestsPerSecond)} req/s, CreateUser ${formatNumber(created.perSecond)} req/s`);
    }
  }
  return results;
}

function getUserBody(id: string): Uint8Array {
  return grpcFrame(toBinary(GetUserRequestSchema, create(GetUserRequestSchema, { id })));
}

/** Medians per engine, each next to the first engine's (SQLite's). */
export function storageEnginesTable(results: readonly EngineResult[]): string {
  const [base] = results;
  const lines = ["| storage | GetUser req/s | vs SQLite | CreateUser req/s | vs SQLite |", "|---|---:|---:|---:|---:|"];
  for (const result of results) {
    const [getUser, createUser] = [median(result.getUser), median(result.createUser)];
    lines.push(`| ${result.engine} | ${formatNumber(getUser)} | ${ratio(getUser, median(base?.getUser ?? []))} | ${formatNumber(createUser, 1)} | ${ratio(createUser, median(base?.createUser ?? []))} |`);
  }
  return lines.join("\n");
}
