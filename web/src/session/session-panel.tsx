import { type FormEvent, useId, useState } from "react";
import { useApi, useSession } from "../api/api-context";
import { describeError } from "../ui/describe-error";

type Mode = "login" | "signup";

/** Sign up (CreateUser, then Login), log in, log out. The token lives in sessionStorage. */
export function SessionPanel() {
  const api = useApi();
  const session = useSession();
  const [mode, setMode] = useState<Mode>("login");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const ids = { username: useId(), email: useId(), password: useId() };

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

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const username = String(form.get("username"));
    const password = String(form.get("password"));
    setBusy(true);
    setError(undefined);
    try {
      if (mode === "signup") await api.users.createUser({ username, email: String(form.get("email")), password });
      const login = await api.users.login({ username, password });
      if (login.user !== undefined) api.sessions.set(login.token, login.user, login.expiresAt);
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="session" onSubmit={submit} aria-label={mode === "login" ? "Log in" : "Sign up"}>
      <label htmlFor={ids.username}>Username</label>
      <input id={ids.username} name="username" autoComplete="username" required {...(mode === "signup" ? { minLength: 3, maxLength: 32 } : {})} />
      {mode === "signup" && (
        <>
          <label htmlFor={ids.email}>Email</label>
          <input id={ids.email} name="email" type="email" autoComplete="email" required />
        </>
      )}
      <label htmlFor={ids.password}>Password</label>
      <input
        id={ids.password}
        name="password"
        type="password"
        autoComplete={mode === "login" ? "current-password" : "new-password"}
        required
      />
      <button type="submit" disabled={busy}>
        {mode === "login" ? "Log in" : "Sign up"}
      </button>
      <button type="button" className="link" onClick={() => (setMode(mode === "login" ? "signup" : "login"), setError(undefined))}>
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
