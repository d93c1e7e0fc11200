// Following a submitted job until it ends: the job's event feed when the server streams one (partial
// previews, step i/N), else polling GET /v1/images/jobs/{id}, whose `progress` is shown when present.
import { readEvents } from './sse.js';

export const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'expired']);
const FIRST_POLL_MILLIS = 250;
const MAX_POLL_MILLIS = 1000;

/**
 * Calls onUpdate({status?, step?, steps?, preview?}) as the job advances; resolves with the final job
 * object (status terminal). Feed errors fall back to polling; API errors while polling are thrown.
 */
export async function follow(api, jobId, onUpdate) {
  await followFeed(api, jobId, onUpdate);
  let delay = FIRST_POLL_MILLIS;
  for (;;) {
    const job = await api.job(jobId);
    onUpdate(fromJob(job));
    if (TERMINAL.has(job.status)) {
      return job;
    }
    await sleep(delay);
    delay = Math.min(MAX_POLL_MILLIS, Math.round(delay * 1.5));
  }
}

/** Reads the event feed to its end when there is one; returns at once when the server has none. */
async function followFeed(api, jobId, onUpdate) {
  let response;
  try {
    response = await api.events(jobId);
  } catch {
    return;
  }
  const type = response.headers.get('Content-Type') || '';
  if (!response.ok || !type.startsWith('text/event-stream')) {
    await response.body?.cancel();
    return;
  }
  onUpdate({ feed: 'open' });
  try {
    await readEvents(response, ({ event, data }) => {
      const update = fromEvent(event, data);
      if (update) {
        onUpdate(update);
      }
      return Boolean(update && update.terminal);
    });
  } catch {
    // A broken feed is not a failed job: polling below tells how the job ended.
  }
}

/** One event of the feed: OpenAI's image_generation.* / image_edit.* events, or {status, progress}. */
export function fromEvent(event, data) {
  if (!data || typeof data !== 'object') {
    return null;
  }
  const type = data.type || event || '';
  const update = {};
  if (type.endsWith('partial_image') && data.b64_json) {
    update.preview = { b64: data.b64_json, format: data.output_format || 'png' };
  }
  const progress = data.progress && typeof data.progress === 'object' ? data.progress : data;
  if (Number.isFinite(progress.step) && Number.isFinite(progress.steps)) {
    update.step = progress.step;
    update.steps = progress.steps;
  }
  if (typeof data.status === 'string') {
    update.status = data.status;
  }
  if (type.endsWith('.completed') || TERMINAL.has(update.status)) {
    update.terminal = true;
  }
  return Object.keys(update).length ? update : null;
}

function fromJob(job) {
  const update = { status: job.status };
  if (job.progress && Number.isFinite(job.progress.step) && Number.isFinite(job.progress.steps)) {
    update.step = job.progress.step;
    update.steps = job.progress.steps;
  }
  return update;
}

function sleep(millis) {
  return new Promise(resolve => setTimeout(resolve, millis));
}
