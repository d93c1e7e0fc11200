// The playground page: wires the form to the public API (api.js), follows jobs (jobs.js), shows results
// (gallery.js) and the account. The key lives in sessionStorage only: never in a URL, never logged.
import { ApiError, KilnApi } from './api.js';
import { base64ToBlob, byId, dollars, el } from './dom.js';
import { addToGallery } from './gallery.js';
import { follow } from './jobs.js';
import { snippets } from './snippets.js';

const KEY_STORAGE = 'kiln.playground.apiKey';
const api = new KilnApi(() => byId('api-key').value.trim());

let inputImage = null;       // {blob, name, url}
let runningJobId = null;
let retryTimer = null;

function init() {
  const keyField = byId('api-key');
  keyField.value = sessionStorage.getItem(KEY_STORAGE) || '';
  keyField.addEventListener('change', onKeyChanged);
  byId('refresh-account').addEventListener('click', () => refreshAccount());
  byId('seed-random').addEventListener('change', () => { byId('seed').disabled = byId('seed-random').checked; });
  byId('generate-form').addEventListener('submit', event => { event.preventDefault(); generate(); });
  byId('cancel').addEventListener('click', cancel);
  initInputImage();
  if (keyField.value) {
    onKeyChanged();
  }
  document.body.dataset.ready = 'true';
}

function onKeyChanged() {
  const key = byId('api-key').value.trim();
  if (key) {
    sessionStorage.setItem(KEY_STORAGE, key);
  } else {
    sessionStorage.removeItem(KEY_STORAGE);
  }
  clearError();
  loadModels();
  refreshAccount();
}

async function loadModels() {
  const select = byId('model');
  try {
    const models = await api.models();
    const previous = select.value;
    select.replaceChildren(...models.map(m => el('option', { value: m.id, text: m.id })));
    if (models.some(m => m.id === previous)) {
      select.value = previous;
    }
  } catch (error) {
    showError(error);
  }
}

async function refreshAccount() {
  try {
    const [account, day, month] = await Promise.all([api.account(), api.usage('day'), api.usage('month')]);
    byId('balance').textContent = `${dollars(account.balance_micros)} available, `
      + `${dollars(account.reserved_micros)} reserved (${account.plan})`;
    const limits = account.rate_limits;
    const perMinute = limits.window_millis === 60000 ? 'per minute' : `per ${limits.window_millis / 1000} s`;
    byId('limits').textContent = `${account.tier}: ${limits.requests.limit} requests and `
      + `${limits.images.limit} images ${perMinute} (${limits.images.remaining} images left now)`;
    byId('usage').textContent = `Today: ${usageText(day)} · This month: ${usageText(month)}`;
  } catch (error) {
    for (const id of ['balance', 'usage', 'limits']) {
      byId(id).textContent = '—';
    }
    showError(error);
  }
}

function usageText(u) {
  const pending = u.pending_micros > 0 ? `, ${dollars(u.pending_micros)} pending` : '';
  return `${u.images} image${u.images === 1 ? '' : 's'}, ${dollars(u.spend_micros)} (${u.jobs} job${u.jobs === 1 ? '' : 's'}${pending})`;
}

// ---- input image: picker, drag and drop, paste, preview -------------------------------------------

function initInputImage() {
  byId('image-input').addEventListener('change', event => {
    const file = event.target.files[0];
    if (file) {
      setInputImage(file, file.name);
    }
  });
  byId('clear-image').addEventListener('click', () => setInputImage(null));
  const zone = byId('drop-zone');
  for (const type of ['dragenter', 'dragover']) {
    zone.addEventListener(type, event => { event.preventDefault(); zone.classList.add('dragging'); });
  }
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', event => {
    event.preventDefault();
    zone.classList.remove('dragging');
    const file = [...event.dataTransfer.files].find(f => f.type.startsWith('image/'));
    if (file) {
      setInputImage(file, file.name);
    }
  });
  // A drop that misses the zone must not navigate away from the page (and its results).
  document.addEventListener('dragover', event => event.preventDefault());
  document.addEventListener('drop', event => event.preventDefault());
  document.addEventListener('paste', event => {
    const file = [...(event.clipboardData?.files || [])].find(f => f.type.startsWith('image/'));
    if (file) {
      event.preventDefault();
      setInputImage(file, file.name && file.name !== 'image.png' ? file.name : 'pasted.png');
    }
  });
}

function setInputImage(blob, name) {
  if (inputImage) {
    URL.revokeObjectURL(inputImage.url);
  }
  inputImage = blob ? { blob, name: name || 'input.png', url: URL.createObjectURL(blob) } : null;
  if (!blob) {
    byId('image-input').value = '';
  }
  const preview = byId('input-preview');
  preview.hidden = !inputImage;
  byId('clear-image').hidden = !inputImage;
  if (inputImage) {
    const img = byId('input-preview-img');
    img.onload = () => {
      byId('input-preview-caption').textContent = `${inputImage.name}, ${img.naturalWidth}×${img.naturalHeight}`;
    };
    img.src = inputImage.url;
    byId('input-preview-caption').textContent = inputImage.name;
  }
  byId('mode').textContent = `Mode: ${inputImage ? 'image-to-image' : 'text-to-image'}`;
}

function useAsInput(blob, name) {
  setInputImage(blob, name);
  byId('input-preview').scrollIntoView({ block: 'nearest' });
  byId('prompt').focus();
}

// ---- generate, follow, cancel -----------------------------------------------------------------------

/** The request fields in the order the snippets show them; empty optional fields are left out. */
function requestFields() {
  const fields = {
    model: byId('model').value,
    prompt: byId('prompt').value,
    n: numberOf('n'),
    size: byId('size').value.trim(),
  };
  const negative = byId('negative-prompt').value;
  if (negative.trim()) {
    fields.negative_prompt = negative;
  }
  if (inputImage) {
    fields.strength = numberOf('strength');
  }
  fields.steps = numberOf('steps');
  fields.guidance_scale = numberOf('guidance');
  fields.scheduler = byId('scheduler').value;
  if (!byId('seed-random').checked) {
    fields.seed = numberOf('seed');
  }
  for (const [name, value] of Object.entries(fields)) {
    if (value === '' || value === undefined || Number.isNaN(value)) {
      delete fields[name];
    }
  }
  return fields;
}

function numberOf(id) {
  const raw = byId(id).value.trim();
  return raw === '' ? undefined : Number(raw);
}

async function generate() {
  clearError();
  const fields = requestFields();
  const image = inputImage ? { blob: inputImage.blob, name: inputImage.name } : null;
  setBusy(true);
  delete byId('progress').dataset.feed;
  byId('progress-preview').dataset.shown = '0';
  setProgress({ status: 'submitting' });
  try {
    const job = await api.submit({ fields, image });
    runningJobId = job.id;
    setProgress({ status: job.status });
    const final = await follow(api, job.id, setProgress);
    runningJobId = null;
    if (final.status === 'succeeded') {
      await showResult(final, fields, image);
    } else {
      setProgress({ status: final.status });
      if (final.status !== 'canceled') {
        showJobError(final);
      }
    }
  } catch (error) {
    setProgress({ status: 'not submitted' });
    showError(error);
  } finally {
    runningJobId = null;
    setBusy(false);
    refreshAccount();
  }
}

async function showResult(job, fields, image) {
  // Fetched inline once, so download and "use as input" work on same-origin bytes.
  const full = await api.job(job.id, 'b64_json');
  const seed = full.result.seed ?? full.seed;
  const images = full.result.data.map((d, i) => {
    const blob = base64ToBlob(d.b64_json);
    return { blob, url: URL.createObjectURL(blob), seed: seed + i };
  });
  const exact = { ...fields, seed };
  addToGallery({
    jobId: job.id,
    fields: exact,
    mode: image ? 'image-to-image' : 'text-to-image',
    images,
    snippets: snippets(`${location.origin}/v1`, exact, image ? image.name : null),
  }, useAsInput);
  setProgress({ status: 'succeeded', done: images.length });
}

async function cancel() {
  if (!runningJobId) {
    return;
  }
  byId('cancel').disabled = true;
  try {
    await api.cancel(runningJobId);
    setProgress({ status: 'canceled' });
  } catch (error) {
    showError(error);
    byId('cancel').disabled = !runningJobId;
  }
}

function setBusy(busy) {
  byId('generate').disabled = busy || retryTimer !== null;
  byId('cancel').disabled = !busy;
}

function setProgress(update) {
  const text = byId('progress-text');
  const bar = byId('progress-bar');
  if (update.status) {
    text.dataset.status = update.status;
  }
  const status = text.dataset.status || '';
  let label = status;
  if (Number.isFinite(update.step) && Number.isFinite(update.steps) && update.steps > 0) {
    label = `${status || 'running'}: step ${update.step}/${update.steps}`;
    bar.hidden = false;
    bar.max = update.steps;
    bar.value = update.step;
  } else if (update.status && ['succeeded', 'failed', 'canceled', 'expired', 'not submitted'].includes(status)) {
    bar.hidden = true;
  }
  if (update.done) {
    label = `succeeded: ${update.done} image${update.done === 1 ? '' : 's'}`;
  }
  if (update.feed) {
    // Marks for tests and tools: the live feed is being read, and how many previews this job showed.
    byId('progress').dataset.feed = update.feed;
  }
  if (update.preview) {
    const preview = byId('progress-preview');
    preview.src = `data:image/${update.preview.format};base64,${update.preview.b64}`;
    preview.hidden = false;
    preview.dataset.shown = String(Number(preview.dataset.shown || 0) + 1);
  } else if (update.status && update.status !== 'running') {
    byId('progress-preview').hidden = true;
  }
  text.textContent = label;
}

// ---- errors, as the API sent them -------------------------------------------------------------------

function clearError() {
  const box = byId('error');
  box.hidden = true;
  box.replaceChildren();
}

function showError(error) {
  if (!(error instanceof ApiError)) {
    render(`Request failed: ${error.message}`, null, [], null);
    return;
  }
  const head = `${error.status} ${error.type || ''}`.trim();
  const details = [];
  if (error.code) {
    details.push(`code: ${error.code}`);
  }
  if (error.param) {
    details.push(`param: ${error.param}`);
  }
  let hint = null;
  if (error.status === 401) {
    hint = el('p', { className: 'hint', text: 'Check the API key: paste the key the run command printed.' });
  } else if (error.status === 402) {
    hint = el('p', { className: 'hint',
      text: 'Your wallet cannot pay for this request: top up the account (admin API, POST /admin/v1/accounts/{id}/top-ups) and try again.' });
  } else if (error.status === 429 || (error.status === 503 && error.retryAfterSeconds)) {
    hint = countdown(error.retryAfterSeconds || 1);
  }
  render(head, error.message, details, hint);
}

function showJobError(job) {
  const e = job.error || {};
  render(`Job ${job.status}`, e.message || `The job ended ${job.status}.`, e.code ? [`code: ${e.code}`] : [], null);
}

function render(head, message, details, hint) {
  const box = byId('error');
  box.replaceChildren(el('strong', { text: head }),
    message ? el('span', { 'data-testid': 'error-message', text: message }) : null,
    details.length ? el('p', { className: 'hint', text: details.join(' · ') }) : null,
    hint);
  box.hidden = false;
}

/** "Retry in N s", counting down from the Retry-After the API sent; Generate waits for it. */
function countdown(seconds) {
  const hint = el('p', { className: 'hint', 'data-testid': 'retry-after' });
  let left = seconds;
  const tick = () => {
    hint.textContent = left > 0 ? `Rate limited: retry in ${left} s.` : 'You can retry now.';
  };
  clearInterval(retryTimer);
  tick();
  retryTimer = setInterval(() => {
    left -= 1;
    tick();
    if (left <= 0) {
      clearInterval(retryTimer);
      retryTimer = null;
      byId('generate').disabled = runningJobId !== null;
    }
  }, 1000);
  byId('generate').disabled = true;
  return hint;
}

init();
