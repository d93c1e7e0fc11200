// The public API, called with the user's key exactly as any client would. Failures become ApiError
// carrying what the server sent (status, OpenAI error body, Retry-After), so the page can show it as is.

export class ApiError extends Error {
  constructor(status, body, retryAfterSeconds) {
    const err = body && body.error ? body.error : null;
    super(err && err.message ? err.message : `HTTP ${status}`);
    this.status = status;
    this.type = err ? err.type : null;
    this.code = err ? err.code : null;
    this.param = err ? err.param : null;
    this.body = body;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Previews of the running denoise the page asks for (the API allows 0–3). */
const PARTIAL_IMAGES = 2;

export class KilnApi {
  /** @param {() => string} key returns the current API key */
  constructor(key) {
    this.key = key;
  }

  headers(extra = {}) {
    return { Authorization: `Bearer ${this.key()}`, ...extra };
  }

  async json(path, init = {}) {
    const response = await fetch(path, { ...init, headers: this.headers(init.headers || {}) });
    return { response, body: await readBody(response) };
  }

  async models() {
    return (await this.ok('/v1/models')).data;
  }

  account() {
    return this.ok('/v1/account');
  }

  usage(period) {
    return this.ok(`/v1/usage?period=${encodeURIComponent(period)}`);
  }

  /**
   * Submits asynchronously (202 + job object) so the page can follow and cancel the job, asking for
   * PARTIAL_IMAGES previews on the job's event feed (not part of the snippets: they show the plain request).
   */
  async submit(request) {
    const init = { method: 'POST', headers: { Prefer: 'respond-async' } };
    const fields = { ...request.fields, partial_images: PARTIAL_IMAGES };
    let path;
    if (request.image) {
      path = '/v1/images/edits';
      const form = new FormData();
      form.append('image', request.image.blob, request.image.name);
      for (const [name, value] of Object.entries(fields)) {
        form.append(name, String(value));
      }
      init.body = form;
    } else {
      path = '/v1/images/generations';
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(fields);
    }
    return this.ok(path, init, [200, 202]);
  }

  job(id, responseFormat = 'url') {
    const query = responseFormat === 'url' ? '' : `?response_format=${responseFormat}`;
    return this.ok(`/v1/images/jobs/${encodeURIComponent(id)}${query}`);
  }

  cancel(id) {
    return this.ok(`/v1/images/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  /** The job's event feed when the server has one: the raw Response (caller checks ok and content type). */
  events(id) {
    return fetch(`/v1/images/jobs/${encodeURIComponent(id)}/events`,
      { headers: this.headers({ Accept: 'text/event-stream' }) });
  }

  async ok(path, init = {}, accepted = [200]) {
    const { response, body } = await this.json(path, init);
    if (!accepted.includes(response.status)) {
      const retryAfter = Number.parseInt(response.headers.get('Retry-After') || '', 10);
      throw new ApiError(response.status, body, Number.isFinite(retryAfter) ? retryAfter : null);
    }
    return body;
  }
}

async function readBody(response) {
  const text = await response.text();
  if (!text) {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    return { error: { message: text.slice(0, 500), type: null, code: null, param: null } };
  }
}
