import { type FormEvent, useId, useState } from "react";
import { CreateUserRequestSchema, LoginRequestSchema } from "../../../gen/userservice/user_service_pb";
import { useApi, useSession } from "../api/api-context";
import { describeError } from "../ui/describe-error";
import { useFieldProblem } from "../ui/field-problem";
import { checkRequest, type FormProblems, hasProblems, NO_PROBLEMS, preloadRules, serverProblems } from "../ui/form-problems";

type Mode = "login" | "signup";

/**
 * Sign up (CreateUser, then Login), log in, log out. The token lives in sessionStorage. The
 * fields are checked with the requests' own rules before anything is sent, and the server's
 * per-field answers are shown the same way.
 */
export function SessionPanel() {
  const api = useApi();
  const session = useSession();
  const [mode, setMode] = useState<Mode>("login");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [problems, setProblems] = useState<FormProblems>(NO_PROBLEMS);
  const ids = { username: useId(), email: useId(), password: useId() };
  const usernameProblem = useFieldProblem(problems, "username");
  const emailProblem = useFieldProblem(problems, "email");
  const passwordProblem = useFieldProblem(problems, "password");

  /**
   * Revokes the token on the server (Logout), so a copy of it stops working too, then forgets it
   * here. The local session ends even if the server cannot be reached.
   */
  async function logOut() {
    try {
      await api.users.logout({});
    } catch {
      // Nothing to do: an expired or already revoked token needs no revoking.
    } finally {
      api.sessions.clear();
    }
  }

  if (session !== undefined) {
    return (
      <div className="session" aria-label="Session">
        <span>
          Signed in as <strong>{session.username}</strong>
        </span>
        <button type="button" onClick={() => void logOut()}>
          Log out
        </button>
      </div>
    );
  }

  /** A field's message goes once the field is edited. */
  function forget(field: string) {
    if (problems[field] === undefined) return;
    const { [field]: _edited, ...rest } = problems;
    setProblems(rest);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const username = String(form.get("username"));
    const password = String(form.get("password"));
    const email = String(form.get("email") ?? "").trim();
    setError(undefined);
    const found = await (mode === "signup"
      ? checkRequest(CreateUserRequestSchema, { username, email, password })
      : checkRequest(LoginRequestSchema, { username, password }));
    setProblems(found);
    if (hasProblems(found)) return;
    setBusy(true);
    try {
      if (mode === "signup") await api.users.createUser({ username, email, password });
      const login = await api.users.login({ username, password });
      if (login.user !== undefined) api.sessions.set(login.token, login.user, login.expiresAt);
    } catch (reason) {
      const fromServer = serverProblems(reason);
      if (hasProblems(fromServer)) setProblems(fromServer);
      else setError(reason);
    } finally {
      setBusy(false);
    }
  }

  return (
    // noValidate: the requests' rules speak for the form, in the server's words, not the browser's.
    <form
      className="session"
      onSubmit={submit}
      noValidate
      aria-label={mode === "login" ? "Log in" : "Sign up"}
      onInput={(event) => forget((event.target as HTMLInputElement).name)}
      onFocus={preloadRules}
    >
      <label htmlFor={ids.username}>Username</label>
      <input id={ids.username} name="username" autoComplete="username" required {...usernameProblem.input} />
      {usernameProblem.message}
      {mode === "signup" && (
        <>
          <label htmlFor={ids.email}>Email</label>
          <input id={ids.email} name="email" type="email" autoComplete="email" required {...emailProblem.input} />
          {emailProblem.message}
        </>
      )}
      <label htmlFor={ids.password}>Password</label>
      <input
        id={ids.password}
        name="password"
        type="password"
        autoComplete={mode === "login" ? "current-password" : "new-password"}
        required
        {...passwordProblem.input}
      />
      {passwordProblem.message}
      <button type="submit" disabled={busy}>
        {mode === "login" ? "Log in" : "Sign up"}
      </button>
      <button type="button" className="link" onClick={() => (setMode(mode === "login" ? "signup" : "login"), setError(undefined), setProblems(NO_PROBLEMS))}>
        {mode === "login" ? "New here? Sign up" : "Have an account? Log in"}
      </button>
      {error !== undefined && (
        <p role="alert" className="error">
          {describeError(error)}
        </p>
      )}
    </form>
  );
}
