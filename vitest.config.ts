import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["server/**/*.test.ts", "cli/**/*.test.ts", "scripts/**/*.test.ts", "web/src/**/*.test.ts", "validation/**/*.test.ts", "bench/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real ports and child processes: keep parallelism within the two cores.
    pool: "forks",
    maxWorkers: 2,
  },
});
