import { create } from "@bufbuild/protobuf";
import { type FormEvent, useEffect, useId, useState } from "react";
import { type Point, PointSchema, RouteNoteSchema } from "../../../gen/routeguide/route_guide_pb";
import { E7, formatPoint } from "../route-guide/map-projection";
import { describeError } from "../ui/describe-error";
import { useFieldProblem } from "../ui/field-problem";
import { checkRequest, type FormProblems, hasProblems, NO_PROBLEMS, preloadRules } from "../ui/form-problems";
import { useCheckedSend } from "../ui/use-checked-send";
import { LinkIndicator } from "../ui/link-indicator";
import { useLiveNotes } from "./use-live-notes";

/**
 * RouteChat for browsers: notes at one location, history first, then live from every client
 * (browsers through RouteNotesService, native clients through RouteChat), and a form to post.
 */
export function RouteChatPanel({ location, placeName, onLocationChange }: { location: Point; placeName: string; onLocationChange(point: Point, name: string): void }) {
  const live = useLiveNotes(location);
  const [draft, setDraft] = useState("");
  // While the server has asked us to wait (RetryInfo on RESOURCE_EXHAUSTED), Post stays disabled.
  const noteSend = useCheckedSend();
  const [latitude, setLatitude] = useState(String(location.latitude / E7));
  const [longitude, setLongitude] = useState(String(location.longitude / E7));
  const ids = { message: useId(), latitude: useId(), longitude: useId() };
  const [placeProblems, setPlaceProblems] = useState<FormProblems>(NO_PROBLEMS);
  const messageProblem = useFieldProblem(noteSend.problems, "message");
  const latitudeProblem = useFieldProblem(placeProblems, "latitude");
  const longitudeProblem = useFieldProblem(placeProblems, "longitude");

  useEffect(() => {
    setLatitude(String(location.latitude / E7));
    setLongitude(String(location.longitude / E7));
  }, [location]);

  async function post(event: FormEvent) {
    event.preventDefault();
    const message = draft.trim();
    const sent = draft;
    // On failure the draft stays, so nothing typed is lost; nor is what was typed while it was sent.
    if (await noteSend.send(RouteNoteSchema, { location, message }, () => live.post(message))) setDraft((current) => (current === sent ? "" : current));
  }

  async function move(event: FormEvent) {
    event.preventDefault();
    const degrees = { latitude: parseDegrees(latitude), longitude: parseDegrees(longitude) };
    const init = { latitude: Math.round((degrees.latitude ?? 0) * E7), longitude: Math.round((degrees.longitude ?? 0) * E7) };
    const found = { ...(await checkRequest(PointSchema, init)), ...notNumbers(degrees) };
    setPlaceProblems(found);
    if (hasProblems(found)) return;
    const point = create(PointSchema, init);
    onLocationChange(point, formatPoint(point));
  }

  return (
    <section className="panel" aria-labelledby="chat-heading" id="route-chat">
      <h2 id="chat-heading">RouteChat</h2>
      <p className="chat-place">
        Notes at <strong data-testid="chat-place">{placeName}</strong>{" "}
        <LinkIndicator status={live} />
      </p>
      {live.error !== undefined && live.link !== "live" && <p className="error">{describeError(live.error)}</p>}
      <form className="toolbar" onSubmit={move} onFocus={preloadRules} aria-label="Location">
        <label htmlFor={ids.latitude}>Latitude</label>
        <input id={ids.latitude} inputMode="decimal" value={latitude} onChange={(event) => (setLatitude(event.target.value), setPlaceProblems(NO_PROBLEMS))} size={11} {...latitudeProblem.input} />
        {latitudeProblem.message}
        <label htmlFor={ids.longitude}>Longitude</label>
        <input id={ids.longitude} inputMode="decimal" value={longitude} onChange={(event) => (setLongitude(event.target.value), setPlaceProblems(NO_PROBLEMS))} size={11} {...longitudeProblem.input} />
        {longitudeProblem.message}
        <button type="submit">Go</button>
      </form>
      <ol className="notes" role="log" aria-label="Notes" aria-live="polite" data-testid="notes">
        {live.notes.length === 0 && <li className="hint">No notes here yet.</li>}
        {live.notes.map((stored) => (
          <li key={String(stored.id)} data-note-id={String(stored.id)}>
            <span className="note-text">{stored.note?.message}</span>
            <time dateTime={new Date(Number(stored.createdAt)).toISOString()}>{new Date(Number(stored.createdAt)).toLocaleTimeString()}</time>
          </li>
        ))}
      </ol>
      <form className="toolbar" onSubmit={post} onFocus={preloadRules} noValidate aria-label="Post a note">
        <label htmlFor={ids.message}>Note</label>
        <input id={ids.message} value={draft} onChange={(event) => (setDraft(event.target.value), noteSend.clearProblems())} required {...messageProblem.input} />
        {messageProblem.message}
        <button type="submit" disabled={noteSend.paused} title={noteSend.paused ? "The server asked to wait before the next note" : undefined}>
          Post
        </button>
      </form>
      {noteSend.error !== undefined && (
        <p role="alert" className="error">
          Not posted: {describeError(noteSend.error)}
        </p>
      )}
    </section>
  );
}

/** Degrees as typed ("40.78", "-74.1"), or undefined if it is not a number. */
function parseDegrees(text: string): number | undefined {
  const value = text.trim() === "" ? Number.NaN : Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** What the rules cannot say: that a field is not a number at all. */
function notNumbers(degrees: { latitude: number | undefined; longitude: number | undefined }): FormProblems {
  const problems: Record<string, string> = {};
  for (const [field, value] of Object.entries(degrees)) if (value === undefined) problems[field] = "must be a number of degrees, e.g. 40.78";
  return problems;
}
