import { type DescMessage, type MessageShape, toJson, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { grpcCodeName } from "../server/lib/code-names.js";

/** Prints messages as JSON lines (--json) or as readable text. */
export interface Output {
  readonly json: boolean;
  /** A message: one JSON line, or `text` (default: the message as indented JSON). */
  message<S extends DescMessage>(schema: S, message: MessageShape<S>, text?: string): void;
  /** Human-readable commentary; left out in --json mode so stdout stays parseable. */
  info(text: string): void;
}

export function createOutput(json: boolean, write: (line: string) => void = (line) => console.log(line)): Output {
  return {
    json,
    message(schema, message, text) {
      if (json) write(toJsonString(schema, message));
      else write(text ?? JSON.stringify(toJson(schema, message), null, 2));
    },
    info(text) {
      if (!json) write(text);
    },
  };
}

/** One line for stderr: "DEADLINE_EXCEEDED: the operation timed out", or JSON in --json mode. */
export function describeError(error: unknown, json: boolean): string {
  const connectError = ConnectError.from(error);
  const code = grpcCodeName(connectError.code);
  const message =
    connectError.code === Code.DeadlineExceeded && connectError.rawMessage === ""
      ? "the deadline (--timeout) passed before the server answered"
      : connectError.rawMessage;
  return json ? JSON.stringify({ error: { code, message } }) : `${code}: ${message}`;
}
