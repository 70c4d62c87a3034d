import { Code, ConnectError } from "@connectrpc/connect";
import { REDIS_UNAVAILABLE, type RedisLink } from "../redis/redis-link.js";
import { createListenerSet, type LiveHub } from "./live-hub.js";

/** How events travel through Redis: as text. */
export interface HubCodec<T> {
  encode(event: T): string;
  decode(text: string): T;
}

export interface RedisHubOptions<T> {
  link: RedisLink;
  /** Channel name under the link's prefix, e.g. "chat". */
  channel: string;
  codec: HubCodec<T>;
  /** A listener threw, or a message could not be decoded. Default: console.error. */
  onError?: (error: unknown) => void;
}

/**
 * A LiveHub over Redis pub/sub: every replica subscribed to the channel delivers each event to its
 * own listeners. When the link loses its subscription every listener is told (its stream ends
 * UNAVAILABLE and its client resumes), and new subscriptions are refused until the link is back.
 */
export async function createRedisHub<T>({ link, channel, codec, onError = console.error }: RedisHubOptions<T>): Promise<LiveHub<T>> {
  const listeners = createListenerSet<T>(onError);
  await link.listen(channel, (text) => {
    let event: T;
    try {
      event = codec.decode(text);
    } catch (error) {
      onError(error);
      return;
    }
    listeners.deliver(event);
  });
  link.onAvailability((up) => {
    if (!up) listeners.loseAll(new ConnectError(REDIS_UNAVAILABLE, Code.Unavailable));
  });
  const key = link.key(channel);
  return {
    async publish(event) {
      await link.run(link.commands.publish(key, codec.encode(event)));
    },
    subscribe(listener, onLost) {
      if (!link.up) throw new ConnectError(REDIS_UNAVAILABLE, Code.Unavailable);
      return listeners.add(listener, onLost);
    },
    subscriberCount: () => listeners.size,
    check: () => link.check(),
  };
}
