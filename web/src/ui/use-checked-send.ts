import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { useCallback, useState } from "react";
import { retryHintMs } from "../route-chat/backoff";
import { checkRequest, type FormProblems, hasProblems, NO_PROBLEMS, serverProblems } from "./form-problems";

export interface CheckedSend {
  /** Per field, what the rules or the server said is wrong. */
  problems: FormProblems;
  /** A failure that is not about a field (shown as the form's error). */
  error: unknown;
  /** True while the server's RetryInfo says to wait before sending again. */
  paused: boolean;
  /** Forgets the problems, e.g. once a field is edited. */
  clearProblems(): void;
  /**
   * Checks the request with its rules, and only if it passes, sends it. Resolves true once sent;
   * false if the rules or the server refused it (the form keeps what was typed).
   */
  send<Desc extends DescMessage>(schema: Desc, request: MessageInitShape<Desc>, call: () => Promise<unknown>): Promise<boolean>;
}

/** What the forms that post (notes, chat) share: rules first, then the call, then the server's answer. */
export function useCheckedSend(): CheckedSend {
  const [problems, setProblems] = useState<FormProblems>(NO_PROBLEMS);
  const [error, setError] = useState<unknown>(undefined);
  const [paused, setPaused] = useState(false);

  const send = useCallback(async <Desc extends DescMessage>(schema: Desc, request: MessageInitShape<Desc>, call: () => Promise<unknown>) => {
    const found = await checkRequest(schema, request);
    setProblems(found);
    setError(undefined);
    if (hasProblems(found)) return false;
    try {
      await call();
      return true;
    } catch (reason) {
      const fromServer = serverProblems(reason);
      if (hasProblems(fromServer)) setProblems(fromServer);
      else setError(reason);
      const waitMs = retryHintMs(reason);
      if (waitMs !== undefined) {
        setPaused(true);
        setTimeout(() => setPaused(false), waitMs);
      }
      return false;
    }
  }, []);

  return { problems, error, paused, clearProblems: useCallback(() => setProblems(NO_PROBLEMS), []), send };
}
