import { useQuery } from "@connectrpc/connect-query";
import { useEffect, useRef } from "react";
import { UserService } from "../../../gen/userservice/user_service_pb";
import { describeError } from "../ui/describe-error";

/**
 * One user fetched with GetUser (through connect-query: reopening a user, or a chat message
 * from them, asks the server once a minute at most); focus moves here when it opens, for
 * keyboard users.
 */
export function UserDetails({ id, onClose }: { id: string; onClose(): void }) {
  const { data: user, error } = useQuery(UserService.method.getUser, { id });
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    heading.current?.focus();
  }, [id]);

  return (
    <section className="details" aria-labelledby="user-details-heading">
      <h3 id="user-details-heading" tabIndex={-1} ref={heading}>
        User details
      </h3>
      {error !== null && <p role="alert" className="error">{describeError(error)}</p>}
      {user === undefined && error === null && <p>Loading…</p>}
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
