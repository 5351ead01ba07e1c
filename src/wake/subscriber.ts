// The one Redis subscription of a process for long-poll wake-ups: a channel per queue type
// (wakeChannel, same hash tag as the type), joined when the type first gets a waiter. The scripts
// publish on it through signal_ready (lua/include/common.lua).
import type { Cluster, Redis } from 'ioredis';
import { wakeChannel } from '../engine/keys.js';

export type WakeListener = (queueType: string, delayMs: number) => void;

export interface WakeSubscriberOptions {
  keyPrefix: string;
  /** A connection of its own: a subscribed connection can run nothing else. */
  connection: Redis | Cluster;
  /** Told of every wake message: a queue of the type is ready in delayMs (0: now). */
  onWake: WakeListener;
  /** Told when the connection is back after a break: wake-ups sent meanwhile were missed. */
  onReconnect: () => void;
}

/** Redis before 7 has no sharded pub/sub; the scripts then PUBLISH and this falls back to SUBSCRIBE. */
function isUnknownCommand(error: unknown): boolean {
  return error instanceof Error && /unknown command/i.test(error.message);
}

export class WakeSubscriber {
  private readonly types = new Map<string, Promise<void>>();
  private readonly typeOfChannel = new Map<string, string>();
  private sharded = true;
  private wasReady = false;
  private connecting?: Promise<void>;

  constructor(private readonly options: WakeSubscriberOptions) {
    const onMessage = (channel: string, message: string): void => {
      const type = this.typeOfChannel.get(channel);
      const delayMs = Number(message);
      if (type !== undefined && Number.isFinite(delayMs)) options.onWake(type, delayMs);
    };
    options.connection.on('smessage', onMessage);
    options.connection.on('message', onMessage);
    options.connection.on('ready', () => {
      if (this.wasReady) options.onReconnect();
      this.wasReady = true;
    });
    // Errors are the main connection's to report (RedisStatus); a subscriber retries by itself.
    options.connection.on('error', () => undefined);
  }

  /** Resolves once wake messages of the type are delivered; joins the channel on first use. */
  subscribe(queueType: string): Promise<void> {
    let joined = this.types.get(queueType);
    if (!joined) {
      const channel = wakeChannel(this.options.keyPrefix, queueType);
      this.typeOfChannel.set(channel, queueType);
      joined = this.join(channel).catch((error: unknown) => {
        // Try again with the next waiter rather than never.
        this.types.delete(queueType);
        throw error;
      });
      this.types.set(queueType, joined);
    }
    return joined;
  }

  private async join(channel: string): Promise<void> {
    const connection = this.options.connection;
    // A connect that failed (Redis down when the first waiter came) is forgotten, so a later waiter
    // connects again instead of meeting the same rejection forever.
    this.connecting ??= (connection.status === 'wait' || connection.status === 'end' ? connection.connect() : Promise.resolve()).catch(
      (error: unknown) => {
        this.connecting = undefined;
        throw error;
      },
    );
    await this.connecting;
    if (this.sharded) {
      try {
        await connection.ssubscribe(channel);
        return;
      } catch (error) {
        if (!isUnknownCommand(error)) throw error;
        this.sharded = false;
      }
    }
    await connection.subscribe(channel);
  }

  async close(): Promise<void> {
    this.options.connection.disconnect();
  }
}
