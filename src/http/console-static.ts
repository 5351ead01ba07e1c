// Serves the web console (SPEC 5.12): the static files that `npm run build` puts in dist/ui/,
// at /ui/. No directory listing, no dotfiles, a Content-Security-Policy that lets the page load
// nothing but its own files and talk to nothing but this server.
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response, type NextFunction } from 'express';
import { packageRoot } from '../paths.js';

export const CONSOLE_PREFIX = '/ui';
export const consoleDir = path.join(packageRoot, 'dist', 'ui');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Small files that change with each release: always revalidate (express sends Last-Modified).
  'cache-control': 'no-cache',
};

/** Mounts the console on the app (the route table sends GET /ui/* here and redirects /ui). Unknown files fall through to the JSON 404. */
export function mountConsole(app: express.Express, dir = consoleDir): void {
  const files = express.static(dir, {
    index: 'index.html',
    dotfiles: 'ignore',
    redirect: false,
    fallthrough: true,
    setHeaders(res) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    },
  });
  app.use(`${CONSOLE_PREFIX}/`, (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!existsSync(dir)) {
      res.status(404).json({ status: 'failure', message: 'the console is not built: run npm run build' });
      return;
    }
    files(req, res, next);
  });
}
