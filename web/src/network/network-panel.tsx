import { useSyncExternalStore } from "react";
import { useApi } from "../api/api-context";

/** Every call the page made: method, protocol, status, bytes, time to first message, duration. */
export function NetworkPanel() {
  const { log } = useApi();
  const calls = useSyncExternalStore(log.subscribe, log.snapshot);
  return (
    <section className="panel" aria-labelledby="network-heading" id="network">
      <h2 id="network-heading">Network</h2>
      <div className="toolbar">
        <span>{calls.length} calls</span>
        <button type="button" onClick={log.clear}>
          Clear
        </button>
      </div>
      <div className="table-scroll">
        <table aria-label="Calls">
          <thead>
            <tr>
              <th scope="col">Method</th>
              <th scope="col">Protocol</th>
              <th scope="col">Status</th>
              <th scope="col">Sent</th>
              <th scope="col">Received</th>
              <th scope="col">Messages</th>
              <th scope="col">First message</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody>
            {calls.slice(0, 100).map((call) => (
              <tr key={call.id} data-status={call.status}>
                <td className="mono">{call.method.split(".").at(-1)}</td>
                <td>{call.protocol}</td>
                <td className={`status status-${call.status}`}>{call.status}</td>
                <td>{formatBytes(call.requestBytes)}</td>
                <td>{formatBytes(call.responseBytes)}</td>
                <td>{call.messages}</td>
                <td>{formatMs(call.firstMessageMs)}</td>
                <td>{formatMs(call.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function formatMs(ms: number | undefined): string {
  return ms === undefined ? "–" : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}
