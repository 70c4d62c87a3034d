/**
 * One length-prefixed message as gRPC, gRPC-Web and Connect streams frame them: a flags byte
 * (0 for a plain message; 0x01 compressed, 0x02 Connect end-of-stream, 0x80 gRPC-Web
 * trailers), a 4-byte big-endian length, then the bytes. Every byte is written, so the buffer
 * need not be zeroed first.
 */
export function envelope(payload: Uint8Array, flags = 0): Buffer {
  const frame = Buffer.allocUnsafe(5 + payload.length);
  frame[0] = flags;
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, 5);
  return frame;
}
