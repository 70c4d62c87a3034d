/**
 * HTTP/1.1 responses ended in one turn of the event loop leave together, at the end of the turn.
 *
 * Node writes an HTTP/1.1 response the moment it is ended: one system call per response, in
 * between the reads of the turn's other requests. On a busy server each of those writes lands
 * while the client side sleeps, and the kernel wakes it for each one; the server's own loop
 * then sleeps and wakes per request too. Ending the turn's later responses together, after the
 * poll phase has read every request that was ready (setImmediate), is still one system call
 * per response, but the writes come back to back: GetFeature over HTTP/1.1 with 64 keep-alive
 * connections measured 43-67 -> 31-38 µs of server CPU a call, 15-23k -> 26-32k req/s
 * (bench/RESULTS.md, ninth stop). HTTP/2 gets the same from Node's session, which writes its
 * frames once a turn.
 *
 * The turn's first end is written at once, as Node would: a quiet server has one request a
 * turn, and its answer leaves as soon as it did before (holding it to the turn's end cost a
 * one-connection client about 8% of its calls a second: the client's next request then came
 * after the server had gone to sleep, not while it was finishing the call). A turn that has
 * `MAX_BATCHED_ENDS` ends waiting writes them at once, so that a long turn's early answers do
 * not wait for its last.
 */

/** The part of Node's HTTP/1.1 response a batched end uses. */
export interface EndableResponse {
  end(chunk?: Uint8Array): unknown;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  destroy(error?: Error): unknown;
}

/** When this many ends wait in one turn, they are written at once. */
export const MAX_BATCHED_ENDS = 64;

const endWaiting = Symbol("end waiting for the turn's end");
type Marked = EndableResponse & { [endWaiting]?: boolean };

/** Responses and their last chunks, in the order they were ended. */
let waiting: { response: Marked; chunk: Uint8Array | undefined }[] = [];
/** Whether an end was written this turn: the turn's later ends wait for endOfTurn. */
let turnOpen = false;

/**
 * Ends `response` (with `chunk`, if given): at once if it is the turn's first, else at the end
 * of the turn with its other batched ends, in the order they were asked for. A waiting
 * response has `isEndWaiting` true: nothing else should be written to it.
 */
export function endInBatch(response: EndableResponse, chunk?: Uint8Array): void {
  if (!turnOpen) {
    turnOpen = true;
    setImmediate(endOfTurn);
    response.end(chunk);
    return;
  }
  const marked = response as Marked;
  marked[endWaiting] = true;
  waiting.push({ response: marked, chunk });
  if (waiting.length >= MAX_BATCHED_ENDS) endWaitingResponses();
}

/** Whether `response` has an end waiting for the end of the turn (endInBatch). */
export function isEndWaiting(response: object): boolean {
  return (response as Marked)[endWaiting] === true;
}

function endOfTurn(): void {
  turnOpen = false;
  endWaitingResponses();
}

function endWaitingResponses(): void {
  const ends = waiting;
  waiting = [];
  for (const { response, chunk } of ends) {
    response[endWaiting] = false;
    // The client may have gone meanwhile: its response has nothing left to say.
    if (response.destroyed || response.writableEnded) continue;
    try {
      response.end(chunk);
    } catch (error) {
      // One response's fault must not keep the turn's others from their ends.
      response.destroy(error as Error);
    }
  }
}
