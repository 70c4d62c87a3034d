import { withTimeout } from "../lib/with-timeout.js";
import { type HealthStatus, ServingStatus } from "./health-status.js";

export interface DependencyWatchOptions {
  health: HealthStatus;
  /** What the server needs to serve, by name (e.g. database, redis): each rejects when unreachable. */
  checks: Readonly<Record<string, () => Promise<void>>>;
  /** Time between checks (HEALTH_CHECK_INTERVAL_MS). Default: 2,000 ms. */
  intervalMs?: number;
  /** A check that takes longer counts as failed. Default: 2,000 ms. */
  timeoutMs?: number;
  /** Reported on every change: which dependencies fail (empty once all pass again) and why. */
  onChange?: (failing: Readonly<Record<string, unknown>>) => void;
}

export interface DependencyWatch {
  /** Checks now, without waiting for the interval (a hub saw its connection drop). */
  checkNow(): Promise<void>;
  /** From now on the status stays NOT_SERVING (shutdown); checks stop. */
  stopServing(): void;
  close(): void;
}

/**
 * Keeps grpc.health.v1 honest for a load balancer: NOT_SERVING while the database or Redis is
 * unreachable, SERVING again once every check passes, NOT_SERVING for good once shutdown begins.
 */
export function watchDependencies({ health, checks, intervalMs = 2_000, timeoutMs = 2_000, onChange }: DependencyWatchOptions): DependencyWatch {
  let failingNames = "";
  let stopped = false;
  let running: Promise<void> | undefined;

  async function checkOnce(): Promise<void> {
    const failing: Record<string, unknown> = {};
    await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeoutMs);
        } catch (error) {
          failing[name] = error;
        }
      }),
    );
    if (stopped) return;
    const names = Object.keys(failing).sort().join(",");
    health.setAll(names === "" ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    if (names !== failingNames) {
      failingNames = names;
      onChange?.(failing);
    }
  }

  function checkNow(): Promise<void> {
    running ??= checkOnce().finally(() => (running = undefined));
    return running;
  }

  const timer = setInterval(() => void checkNow(), intervalMs);
  timer.unref();
  return {
    checkNow,
    stopServing() {
      stopped = true;
      clearInterval(timer);
      health.setAll(ServingStatus.NOT_SERVING);
    },
    close() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
