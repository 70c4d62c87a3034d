import { useId, useState } from "react";
import type { User } from "../../../gen/userservice/user_service_pb";
import { useApi, useSession } from "../api/api-context";
import { describeError } from "../ui/describe-error";
import { VirtualList } from "../ui/virtual-list";
import { useUserStream } from "./use-user-stream";
import { UserDetails } from "./user-details";

const PAGE_SIZES = [100, 1000];

/** ListUsers streamed into a virtualized list, with paging, cancel, retry, and GetUser details. */
export function UsersPanel() {
  const api = useApi();
  const session = useSession();
  const stream = useUserStream(api.users);
  const [pageSize, setPageSize] = useState(100);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const pageSizeId = useId();
  const streaming = stream.status === "streaming";

  return (
    <section className="panel" aria-labelledby="users-heading" id="users">
      <h2 id="users-heading">Users</h2>
      {session === undefined && <p className="hint">Listing users needs a login: sign up or log in above.</p>}
      <div className="toolbar">
        <label htmlFor={pageSizeId}>Page size</label>
        <select id={pageSizeId} value={pageSize} onChange={(event) => setPageSize(Number(event.target.value))} disabled={streaming}>
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => stream.load("first-page", pageSize)} disabled={streaming}>
          Load first page
        </button>
        <button type="button" onClick={() => stream.load("next-page", pageSize)} disabled={streaming || !stream.hasMore}>
          Next page
        </button>
        <button type="button" onClick={() => stream.load("all", pageSize)} disabled={streaming}>
          Load all
        </button>
        <button type="button" onClick={stream.cancel} disabled={!streaming}>
          Cancel
        </button>
      </div>
      <p className="status-line" data-testid="users-status" data-state={stream.status} data-count={stream.users.length}>
        <span aria-live="polite">{statusText(stream.status, stream.users.length, stream.pages)}</span>
        {streaming && <span className="spinner" aria-hidden="true" />}
      </p>
      {stream.status === "error" && (
        <div role="alert" className="error">
          <p>{describeError(stream.error)}</p>
          <button type="button" onClick={stream.retry}>
            Retry
          </button>
        </div>
      )}
      <VirtualList<User>
        items={stream.users}
        label="Users"
        getKey={(user) => user.id}
        renderItem={(user) => (
          <button type="button" className="row-button" onClick={() => setSelected(user.id)} aria-pressed={selected === user.id}>
            <span className="username">{user.username}</span>
            {user.email !== "" && <span className="email">{user.email}</span>}
          </button>
        )}
      />
      {selected !== undefined && <UserDetails id={selected} onClose={() => setSelected(undefined)} />}
    </section>
  );
}

function statusText(status: string, count: number, pages: number): string {
  const users = `${count.toLocaleString("en-US")} ${count === 1 ? "user" : "users"}`;
  switch (status) {
    case "idle":
      return "No users loaded yet.";
    case "streaming":
      return `Streaming… ${users} so far`;
    case "done":
      return `${users} loaded (${pages} ${pages === 1 ? "page" : "pages"}).`;
    case "canceled":
      return `Cancelled after ${users}.`;
    default:
      return `Stopped by an error after ${users}.`;
  }
}
