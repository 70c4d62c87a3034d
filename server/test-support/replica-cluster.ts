import { startTcpProxy, type TcpProxy, throughProxy } from "./tcp-proxy.js";
import { type ServerProcess, spawnServer } from "./server-process.js";
import { createTestDatabase, createTestRedisPrefix, TEST_POSTGRES_URL, TEST_REDIS_URL, type TestDatabase, type TestRedisPrefix } from "./test-services.js";

/** A static service token every replica accepts. */
export const CLUSTER_TOKEN = "replica-test-token";

/**
 * Several server processes (`npm start`'s main.ts) sharing one PostgreSQL database and one Redis
 * key prefix, both fresh and removed afterwards. Database and Redis are reached through TCP
 * proxies, so a test can take either away from every replica and bring it back.
 */
export interface ReplicaCluster {
  replicas: ServerProcess[];
  database: TestDatabase;
  postgres: TcpProxy;
  redis: TcpProxy;
  /** The environment each replica runs with. */
  env: Record<string, string>;
  /** Starts replica i again (after it stopped), on the same port. */
  restart(index: number): Promise<ServerProcess>;
  close(): Promise<void>;
}

export async function startReplicaCluster(count: number, extraEnv: Record<string, string> = {}): Promise<ReplicaCluster> {
  const database = await createTestDatabase();
  const redisPrefix: TestRedisPrefix = createTestRedisPrefix();
  const postgresTarget = new URL(TEST_POSTGRES_URL);
  const redisTarget = new URL(TEST_REDIS_URL);
  const postgres = await startTcpProxy({ host: postgresTarget.hostname, port: Number(postgresTarget.port || 5432) });
  const redis = await startTcpProxy({ host: redisTarget.hostname, port: Number(redisTarget.port || 6379) });
  const env: Record<string, string> = {
    DATABASE_URL: throughProxy(database.url, postgres),
    REDIS_URL: throughProxy(TEST_REDIS_URL, redis),
    REDIS_KEY_PREFIX: redisPrefix.prefix,
    AUTH_SECRET: "replica-cluster-shared-secret-0123456789",
    AUTH_TOKENS: CLUSTER_TOKEN,
    RATE_LIMIT_NOTES: "off",
    RATE_LIMIT_SIGNUP: "off",
    RATE_LIMIT_CHAT: "off",
    RATE_LIMIT_LOGIN: "off",
    HEALTH_CHECK_INTERVAL_MS: "200",
    DATABASE_CONNECT_TIMEOUT_MS: "1000",
    SHUTDOWN_DELAY_MS: "300",
    SHUTDOWN_GRACE_MS: "3000",
    ...extraEnv,
  };
  const replicas: ServerProcess[] = [];
  for (let i = 0; i < count; i++) replicas.push(await spawnServer(env));
  return {
    replicas,
    database,
    postgres,
    redis,
    env,
    async restart(index) {
      const port = new URL(replicas[index]!.url).port;
      replicas[index] = await spawnServer({ ...env, PORT: port });
      return replicas[index]!;
    },
    async close() {
      await Promise.all(replicas.map((replica) => (replica.child.exitCode === null && replica.child.signalCode === null ? replica.stop("SIGKILL") : undefined)));
      await postgres.close();
      await redis.close();
      await redisPrefix.clear();
      await database.drop();
    },
  };
}
