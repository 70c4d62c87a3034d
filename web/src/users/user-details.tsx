import { useEffect, useRef, useState } from "react";
import type { User } from "../../../gen/userservice/user_service_pb";
import { useApi } from "../api/api-context";
import { describeError } from "../ui/describe-error";

/** One user fetched with GetUser; focus moves here when it opens, for keyboard users. */
export function UserDetails({ id, onClose }: { id: string; onClose(): void }) {
  const api = useApi();
  const [user, setUser] = useState<User | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    setUser(undefined);
    setError(undefined);
    api.users.getUser({ id }, { signal: controller.signal }).then(setUser, (reason: unknown) => {
      if (!controller.signal.aborted) setError(reason);
    });
    heading.current?.focus();
    return () => controller.abort();
  }, [api, id]);

  return (
    <section className="details" aria-labelledby="user-details-heading">
      <h3 id="user-details-heading" tabIndex={-1} ref={heading}>
        User details
      </h3>
      {error !== undefined && <p role="alert" className="error">{describeError(error)}</p>}
      {user === undefined && error === undefined && <p>Loading…</p>}
      {user !== undefined && (
        <dl>
          <dt>Username</dt>
          <dd>{user.username}</dd>
          <dt>Email</dt>
          {/* The server sends emails only to their owner and to admins. */}
          <dd>{user.email || <span className="hint">visible only to this user and admins</span>}</dd>
          <dt>Id</dt>
          <dd className="mono">{user.id}</dd>
          <dt>Created</dt>
          <dd>{new Date(Number(user.createdAt)).toLocaleString()}</dd>
          <dt>Roles</dt>
          <dd>{user.roles.join(", ") || "none"}</dd>
        </dl>
      )}
      <button type="button" onClick={onClose}>
        Close details
      </button>
    </section>
  );
}
