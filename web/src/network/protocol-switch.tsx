import { useApi } from "../api/api-context";
import { PROTOCOLS } from "../api/protocols";

/** Radio buttons: the next call (and every open live stream, which reconnects) uses the choice. */
export function ProtocolSwitch() {
  const api = useApi();
  return (
    <fieldset className="protocol-switch">
      <legend>Protocol</legend>
      {PROTOCOLS.map((protocol) => (
        <label key={protocol.id}>
          <input
            type="radio"
            name="protocol"
            value={protocol.id}
            checked={api.protocol === protocol.id}
            onChange={() => api.setProtocol(protocol.id)}
          />
          {protocol.label}
        </label>
      ))}
    </fieldset>
  );
}
