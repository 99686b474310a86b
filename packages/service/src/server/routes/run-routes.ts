/**
 * Sleep runs and their jobs: queue a sleep (a durable job, coalesced per context), follow a job, and
 * read runs with their model calls. A run requested on demand has its id (status `queued`) before
 * its job starts it.
 */
import type { JobRecord } from '@sleeptime/core';
import { Hono } from 'hono';
import { ApiError } from '../api-errors.js';
import { jobsQuery, runsQuery, sleepBody } from '../api-schemas.js';
import type { AuthenticatedEnvironment } from '../middleware/api-key-auth.js';
import { readJsonBody, validate } from '../request-validation.js';
import { callJson, jobJson, queuedRunJson, runJson } from '../wire-shapes.js';
import { storedContextId, type RouteDependencies } from './route-support.js';

export function runRoutes({ engine, jobs, maxSleepTokensPerTenantPerDay }: RouteDependencies): Hono<AuthenticatedEnvironment> {
  const routes = new Hono<AuthenticatedEnvironment>();

  /** The version of a job's context for a queued run (0 once the context is gone). */
  const contextVersionOf = (job: JobRecord) =>
    engine.getContext(job.contextId).then(
      (record) => record.version,
      () => 0,
    );

  routes.post('/contexts/:id/sleep', async (context) => {
    const id = storedContextId(context);
    const body = await readJsonBody(context, sleepBody);
    const record = await engine.getContext(id);
    // Refused now (429 sleep_token_limit) rather than queued for a job that would wait for the next day.
    await engine.checkSleepTokens(record.id, maxSleepTokensPerTenantPerDay);
    // A durable job (coalesced with a pending one for this context); a worker runs it.
    const job = await jobs.onDemand(record.id, body);
    const queued = queuedRunJson(context.get('scope'), job, record.version);
    context.header('location', `/v1/runs/${queued.id}`);
    return context.json(queued, 202);
  });

  routes.get('/jobs/:jobId', async (context) => {
    const scope = context.get('scope');
    const jobId = context.req.param('jobId');
    const job = await jobs.get(jobId);
    if (job === undefined || !scope.owns(job.contextId)) throw new ApiError(404, 'job_not_found', `No job with id "${jobId}"`);
    return context.json(jobJson(scope, job));
  });

  routes.get('/contexts/:id/jobs', async (context) => {
    const scope = context.get('scope');
    const query = validate(jobsQuery, context.req.query(), 'query');
    const record = await engine.getContext(storedContextId(context));
    const found = await jobs.listForContext(record.id, { limit: query.limit });
    return context.json({ data: found.map((job) => jobJson(scope, job)) });
  });

  routes.get('/contexts/:id/runs', async (context) => {
    const id = storedContextId(context);
    const query = validate(runsQuery, context.req.query(), 'query');
    const runs = await engine.runs(id, { limit: query.limit });
    return context.json({ data: runs.map((run) => runJson(context.get('scope'), run)) });
  });

  routes.get('/runs/:runId', async (context) => {
    const scope = context.get('scope');
    const runId = context.req.param('runId');
    const run = await engine.getRun(runId);
    if (run === undefined) {
      const job = await jobs.findByRunId(runId);
      if (job !== undefined && scope.owns(job.contextId)) return context.json({ ...queuedRunJson(scope, job, await contextVersionOf(job)), calls: [] });
    }
    if (run === undefined || !scope.owns(run.contextId)) throw new ApiError(404, 'run_not_found', `No run with id "${runId}"`);
    const calls = await engine.runCalls(runId);
    return context.json({ ...runJson(scope, run), calls: calls.map(callJson) });
  });

  return routes;
}
