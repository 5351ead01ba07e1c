// Every route the server answers, in one table: which code answers which path. 404, 405, 308 and
// OPTIONS come out of this table too (src/http/resolve.ts), so a route added here is answered
// correctly on every method. Adding a route = one entry here + one handler in handlers/.
import { deleteQueue } from './handlers/deletequeue.js';
import { dequeue } from './handlers/dequeue.js';
import { enqueue } from './handlers/enqueue.js';
import { enqueueBatch, finishBatch } from './handlers/batch.js';
import { fail } from './handlers/fail.js';
import { finish } from './handlers/finish.js';
import { getLimits, pause, resume, setLimits } from './handlers/flow.js';
import { interval } from './handlers/interval.js';
import { openapiDocument } from './handlers/openapi.js';
import { jobs, queues } from './handlers/browse.js';
import { globalMetrics, queueMetrics, typeMetrics } from './handlers/metrics-json.js';
import { deepStatus, index } from './handlers/status.js';
import { getJobStatus } from './handlers/job-status.js';
import { touchJob } from './handlers/touch.js';
import { deleteDead, listDead, replayDead } from './handlers/dead-letters.js';
import type { Route } from './types.js';

export const PROMETHEUS_PATH = '/metrics';

export const ROUTES: readonly Route[] = [
  // The SharQ API (SPEC section 2), answered straight from node:http.
  { method: 'GET', path: '/', serve: index, public: true },
  { method: 'POST', path: '/enqueue/:queue_type/', serve: enqueueBatch, body: true },
  { method: 'POST', path: '/enqueue/:queue_type/:queue_id/', serve: enqueue, body: true },
  { method: 'GET', path: '/dequeue/', serve: dequeue, unsafe: true },
  { method: 'GET', path: '/dequeue/:queue_type/', serve: dequeue, unsafe: true },
  { method: 'POST', path: '/finish/:queue_type/', serve: finishBatch, body: true },
  { method: 'POST', path: '/finish/:queue_type/:queue_id/:job_id/', serve: finish },
  { method: 'POST', path: '/interval/:queue_type/:queue_id/', serve: interval, body: true },
  { method: 'GET', path: '/metrics/', serve: globalMetrics },
  { method: 'GET', path: '/metrics/:queue_type/', serve: typeMetrics },
  { method: 'GET', path: '/metrics/:queue_type/:queue_id/', serve: queueMetrics },
  { method: 'DELETE', path: '/deletequeue/:queue_type/:queue_id/', serve: deleteQueue, body: true },
  { method: 'GET', path: '/deepstatus/', serve: deepStatus, public: true },
  // The contract as a document (SPEC 5.10).
  { method: 'GET', path: '/openapi.json', serve: openapiDocument, public: true },

  // Paged reads for the console and scripts (SPEC 5.12).
  { method: 'GET', path: '/queues/:queue_type/', serve: queues },
  { method: 'GET', path: '/jobs/:queue_type/:queue_id/', serve: jobs },

  // The job lifecycle (SPEC 5.4, 5.5, 5.7).
  { method: 'GET', path: '/job/:queue_type/:queue_id/:job_id/', serve: getJobStatus },
  { method: 'POST', path: '/touch/:queue_type/:queue_id/:job_id/', serve: touchJob, body: true },
  // Failing a job, with retries and back-off (SPEC 5.13).
  { method: 'POST', path: '/fail/:queue_type/:queue_id/:job_id/', serve: fail, body: true },
  { method: 'GET', path: '/dead/:queue_type/', serve: listDead },
  { method: 'POST', path: '/dead/:queue_type/replay/', serve: replayDead, body: true },
  { method: 'DELETE', path: '/dead/:queue_type/', serve: deleteDead },
  // Flow control: pause, resume and limits of a type or a queue (SPEC 5.14).
  { method: 'POST', path: '/pause/:queue_type/', serve: pause, body: true },
  { method: 'POST', path: '/pause/:queue_type/:queue_id/', serve: pause, body: true },
  { method: 'POST', path: '/resume/:queue_type/', serve: resume },
  { method: 'POST', path: '/resume/:queue_type/:queue_id/', serve: resume },
  { method: 'GET', path: '/limits/:queue_type/', serve: getLimits },
  { method: 'GET', path: '/limits/:queue_type/:queue_id/', serve: getLimits },
  { method: 'POST', path: '/limits/:queue_type/', serve: setLimits, body: true },
  { method: 'POST', path: '/limits/:queue_type/:queue_id/', serve: setLimits, body: true },

  // Operational routes, served by the express app (src/http/app.ts).
  { method: 'GET', path: PROMETHEUS_PATH, serve: 'express' },
  // The console's static files: public (they hold no data; the API calls they make carry the token).
  { method: 'GET', path: '/ui/*', serve: 'express', public: true },
];
