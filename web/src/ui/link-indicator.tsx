import type { LinkStatus } from "../api/live-stream";

const LINK_TEXT: Record<LinkStatus["link"], string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting",
  stopped: "Disconnected",
};

/** The state of a live stream: a dot and a word, and the wait before the next attempt while reconnecting. */
export function LinkIndicator({ status, testId = "link-state" }: { status: LinkStatus; testId?: string }) {
  return (
    <span className={`link-state link-${status.link}`} role="status" data-testid={testId} data-state={status.link}>
      <span className="dot" aria-hidden="true" />
      {LINK_TEXT[status.link]}
      {status.link === "reconnecting" && status.retryInMs !== undefined && ` (next try in ${(status.retryInMs / 1000).toFixed(1)} s)`}
    </span>
  );
}
