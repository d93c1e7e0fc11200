// The session's results: one entry per job, newest first, with its parameters, its images (seed,
// download, "use as input") and the request as curl / Python / Node.
import { byId, copyText, el } from './dom.js';

const SNIPPETS = [['curl', 'curl'], ['python', 'Python'], ['node', 'Node']];

/**
 * @param {object} entry {jobId, fields, mode, images: [{blob, url, seed}], snippets: {curl, python, node}}
 * @param {(blob: Blob, name: string) => void} useAsInput
 */
export function addToGallery(entry, useAsInput) {
  byId('gallery-empty').hidden = true;
  const item = el('li', { className: 'job', 'data-testid': 'job', 'data-job-id': entry.jobId },
    el('h3', { text: entry.fields.prompt }),
    el('p', { className: 'params', text: describe(entry) }),
    el('ul', { className: 'images' }, entry.images.map((image, i) => imageItem(entry, image, i, useAsInput))),
    snippetBlock(entry));
  byId('gallery').prepend(item);
}

function describe(entry) {
  const f = entry.fields;
  const parts = [f.model, entry.mode, f.size, `n ${f.n}`, `${f.steps} steps`, `guidance ${f.guidance_scale}`,
    f.scheduler];
  if (entry.mode === 'image-to-image') {
    parts.push(`strength ${f.strength}`);
  }
  if (f.negative_prompt) {
    parts.push(`negative: ${f.negative_prompt}`);
  }
  parts.push(`seed ${f.seed}`, `job ${entry.jobId}`);
  return parts.join(' · ');
}

function imageItem(entry, image, i, useAsInput) {
  const name = `kiln-${entry.jobId}-${i}.png`;
  return el('li', {},
    el('figure', {},
      el('img', { src: image.url, 'data-testid': 'result-image', 'data-seed': image.seed,
        alt: `Result ${i + 1} of ${entry.images.length} for "${entry.fields.prompt}", seed ${image.seed}` }),
      el('figcaption', { text: `seed ${image.seed}` }),
      el('div', { className: 'image-actions' },
        el('a', { href: image.url, download: name, 'data-testid': 'download', text: 'Download' }),
        el('button', { type: 'button', className: 'secondary', 'data-testid': 'use-as-input',
          text: 'Use as input', onclick: () => useAsInput(image.blob, name) }))));
}

function snippetBlock(entry) {
  return el('details', { className: 'snippets' },
    el('summary', { text: 'This request as code (curl, Python, Node)' }),
    SNIPPETS.map(([kind, label]) => {
      const pre = el('pre', { 'data-testid': `snippet-${kind}`, tabindex: '0',
        'aria-label': `${label} snippet` }, el('code', { text: entry.snippets[kind] }));
      const button = el('button', { type: 'button', className: 'secondary', 'data-testid': `copy-${kind}`,
        text: `Copy as ${label}` });
      button.addEventListener('click', async () => {
        const copied = await copyText(entry.snippets[kind]);
        button.textContent = copied ? 'Copied' : 'Copy failed: select the text';
        setTimeout(() => { button.textContent = `Copy as ${label}`; }, 2000);
      });
      return el('div', { className: 'snippet' },
        el('div', { className: 'snippet-head' }, el('span', { text: label }), button), pre);
    }));
}
