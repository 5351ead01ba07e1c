import type { Logger } from '../logger.js';
import { VERSION } from '../paths.js';

export { VERSION };

const ART = String.raw`
  ___ _              ___    ___
 / __| |_  __ _ _ _ / _ \  / __| ___ _ ___ _____ _ _
 \__ \ ' \/ _${'`'} | '_| (_) | \__ \/ -_) '_\ V / -_) '_|
 |___/_||_\__,_|_|  \__\_\ |___/\___|_|  \_/\___|_|
`;

/** The start-up banner of the original server, with our version and address. */
export function banner(host: string, port: number): string {
  return `${ART}\nVersion: ${VERSION}\n\nListening on: ${host}:${port}\n`;
}

/**
 * Tells that the server listens: the original's banner for a person at a terminal; for a log
 * pipeline (stdout not a TTY), the same facts as one log entry, with the banner's words as message.
 */
export function announceListening(logger: Logger, host: string, port: number, tty = process.stdout.isTTY === true): void {
  if (tty) process.stdout.write(banner(host, port));
  else logger.info(`Listening on: ${host}:${port}`, { version: VERSION, host, port });
}
