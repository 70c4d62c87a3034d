import http from "node:http";
import http2 from "node:http2";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  trailers: Record<string, string>;
  body: Buffer;
}

/** One call, as the load generator sends it (a POST; a GET without a body), to check what the server answers (h2load checks only the HTTP status). */
export function rawCall(port: number, path: string, headers: Record<string, string>, body: Uint8Array | undefined, h1 = false): Promise<RawResponse> {
  return h1 ? http1Call(port, path, headers, body) : http2Call(port, path, headers, body);
}

function http2Call(port: number, path: string, headers: Record<string, string>, body: Uint8Array | undefined): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({ ":method": body === undefined ? "GET" : "POST", ":path": path, ...headers });
    const chunks: Buffer[] = [];
    let status = 0;
    let responseHeaders: Record<string, string> = {};
    let trailers: Record<string, string> = {};
    stream.on("response", (received) => {
      status = Number(received[":status"]);
      responseHeaders = received as Record<string, string>;
    });
    stream.on("trailers", (received) => (trailers = received as Record<string, string>));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      session.close();
      resolve({ status, headers: responseHeaders, trailers, body: Buffer.concat(chunks) });
    });
    stream.on("error", reject);
    stream.end(body);
  });
}

function http1Call(port: number, path: string, headers: Record<string, string>, body: Uint8Array | undefined): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, path, method: body === undefined ? "GET" : "POST", headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers as Record<string, string>, trailers: response.trailers as Record<string, string>, body: Buffer.concat(chunks) }),
      );
    });
    request.on("error", reject);
    request.end(body);
  });
}
