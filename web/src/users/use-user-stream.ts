import type { Client } from "@connectrpc/connect";
import { useCallback, useEffect, useRef, useState } from "react";
import type { User, UserService } from "../../../gen/userservice/user_service_pb";

export type StreamMode = "first-page" | "next-page" | "all";
export type StreamStatus = "idle" | "streaming" | "done" | "canceled" | "error";

export interface UserStreamState {
  users: readonly User[];
  status: StreamStatus;
  error?: unknown;
  /** Whether the last page came back full, so there may be more after it. */
  hasMore: boolean;
  /** Pages fetched since the list was last reset. */
  pages: number;
}

export interface UserStream extends UserStreamState {
  load(mode: StreamMode, pageSize: number): void;
  cancel(): void;
  /** Runs the failed or cancelled load again, continuing after the last row received. */
  retry(): void;
}

const INITIAL: UserStreamState = { users: [], status: "idle", hasMore: false, pages: 0 };

/**
 * "Load all" asks for pages of this size (the server's largest) whatever the page size chosen
 * for paging: each page is a round trip that cannot start before the previous one ends (it
 * continues after its last row), so 10,000 users take 10 calls rather than 100.
 */
export const LOAD_ALL_PAGE_SIZE = 1000;

/**
 * Streams ListUsers page by page. Rows are buffered and committed once per animation frame:
 * they show while the stream runs, without one render per message. Every page continues after
 * the last row received (page_token), so "next page", "all" and a retry never repeat a row.
 */
export function useUserStream(client: Client<typeof UserService>): UserStream {
  const [state, setState] = useState<UserStreamState>(INITIAL);
  const rows = useRef<User[]>([]);
  const running = useRef<AbortController | undefined>(undefined);
  const frame = useRef<number | undefined>(undefined);
  const lastLoad = useRef<{ mode: StreamMode; pageSize: number } | undefined>(undefined);

  const commitRows = useCallback(() => {
    if (frame.current !== undefined) cancelAnimationFrame(frame.current);
    frame.current = undefined;
    setState((previous) => ({ ...previous, users: rows.current.slice() }));
  }, []);

  const scheduleCommit = useCallback(() => {
    frame.current ??= requestAnimationFrame(() => {
      frame.current = undefined;
      setState((previous) => ({ ...previous, users: rows.current.slice() }));
    });
  }, []);

  const run = useCallback(
    async (mode: StreamMode, pageSize: number) => {
      running.current?.abort();
      const controller = new AbortController();
      running.current = controller;
      lastLoad.current = { mode, pageSize };
      const size = mode === "all" ? Math.max(pageSize, LOAD_ALL_PAGE_SIZE) : pageSize;
      if (mode === "first-page") rows.current = [];
      setState((previous) => ({
        ...previous,
        users: rows.current.slice(),
        status: "streaming",
        error: undefined,
        pages: mode === "first-page" ? 0 : previous.pages,
      }));
      try {
        let hasMore: boolean;
        do {
          const pageToken = rows.current.at(-1)?.id ?? "";
          let received = 0;
          for await (const user of client.listUsers({ pageSize: size, pageToken }, { signal: controller.signal })) {
            rows.current.push(user);
            received++;
            scheduleCommit();
          }
          hasMore = received === size;
          setState((previous) => ({ ...previous, pages: previous.pages + 1 }));
        } while (mode === "all" && hasMore);
        commitRows();
        setState((previous) => ({ ...previous, status: "done", hasMore }));
      } catch (error) {
        if (running.current !== controller) return; // superseded by a newer load
        commitRows();
        setState((previous) =>
          controller.signal.aborted ? { ...previous, status: "canceled", hasMore: true } : { ...previous, status: "error", error },
        );
      }
    },
    [client, commitRows, scheduleCommit],
  );

  useEffect(() => () => running.current?.abort(), []);

  return {
    ...state,
    load: (mode, pageSize) => void run(mode, pageSize),
    cancel: () => running.current?.abort(),
    retry: () => {
      const last = lastLoad.current;
      if (last !== undefined) void run(last.mode === "first-page" && rows.current.length > 0 ? "next-page" : last.mode, last.pageSize);
    },
  };
}
