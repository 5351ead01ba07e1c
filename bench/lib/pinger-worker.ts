// In its own thread: between 'start' and 'stop', PING Redis every 1 ms over a raw socket and keep the
// round trips, so a long blocking script shows up as one long PING whatever the main thread does.

import net from 'node:net';
import { percentile, Samples } from './stats.js';
import { serveTasks } from './task-worker.js';

export type PingerRequest = { command: 'start'; port: number } | { command: 'stop' };

export interface PingerResult {
  pings: number;
  maxMs: number;
  p99Ms: number;
}

interface Session {
  socket: net.Socket;
  rtts: Samples;
  stopping: boolean;
  finish?: (result: PingerResult) => void;
}

let session: Session | undefined;

function start(port: number): Promise<PingerResult> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const current: Session = { socket, rtts: new Samples(), stopping: false };
    session = current;
    let sentAt = 0n;
    let buffered = '';
    const ping = (): void => {
      sentAt = process.hrtime.bigint();
      socket.write('PING\r\n');
    };
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      while (buffered.includes('\r\n')) {
        buffered = buffered.slice(buffered.indexOf('\r\n') + 2);
        current.rtts.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
        if (current.stopping) {
          socket.destroy();
          const sorted = current.rtts.sorted();
          current.finish?.({ pings: sorted.length, maxMs: sorted[sorted.length - 1] ?? Number.NaN, p99Ms: percentile(sorted, 99) });
          return;
        }
        setTimeout(ping, 1);
      }
    });
    socket.once('connect', () => {
      ping();
      resolve({ pings: 0, maxMs: 0, p99Ms: 0 });
    });
    socket.once('error', reject);
  });
}

function stop(): Promise<PingerResult> {
  const current = session;
  session = undefined;
  if (current === undefined) return Promise.reject(new Error('pinger is not running'));
  return new Promise((resolve) => {
    current.finish = resolve;
    current.stopping = true;
  });
}

serveTasks<PingerRequest, PingerResult>((request) => (request.command === 'start' ? start(request.port) : stop()));
