// The exact request as curl, Python (openai) and Node (openai) code, in the style of the run command's
// examples. The key is read from $KILN_API_KEY, so a copied snippet never carries it.

const KEY_ENV = 'KILN_API_KEY';
/** Fields the OpenAI SDKs type themselves; the rest are Kiln's extensions, sent through the body. */
const OPENAI_FIELDS = ['model', 'prompt', 'n', 'size', 'response_format'];

/**
 * @param {string} baseUrl e.g. http://127.0.0.1:8080/v1
 * @param {object} fields the request fields, in order, with the seed the job used
 * @param {string|null} imageName file name of the input image (img2img through /images/edits), or null
 */
export function snippets(baseUrl, fields, imageName) {
  return {
    curl: curl(baseUrl, fields, imageName),
    python: python(baseUrl, fields, imageName),
    node: node(baseUrl, fields, imageName),
  };
}

function curl(baseUrl, fields, imageName) {
  const lines = [];
  if (imageName) {
    lines.push(`curl -sS ${baseUrl}/images/edits`);
    lines.push(`  -H "Authorization: Bearer $${KEY_ENV}"`);
    lines.push(`  -F ${shellQuote(`image=@${imageName}`)}`);
    // --form-string: a value starting with @ or < is sent as text, never read from a file.
    for (const [name, value] of Object.entries(fields)) {
      lines.push(`  --form-string ${shellQuote(`${name}=${value}`)}`);
    }
  } else {
    lines.push(`curl -sS ${baseUrl}/images/generations`);
    lines.push(`  -H "Authorization: Bearer $${KEY_ENV}"`);
    lines.push(`  -H 'Content-Type: application/json'`);
    lines.push(`  -d ${shellQuote(JSON.stringify(fields))}`);
  }
  return lines.join(' \\\n');
}

function python(baseUrl, fields, imageName) {
  const { typed, extra } = split(fields);
  const args = Object.entries(typed).map(([k, v]) => `    ${k}=${JSON.stringify(v)},`);
  if (imageName) {
    args.splice(1, 0, `    image=open(${JSON.stringify(imageName)}, "rb"),`);
  }
  if (Object.keys(extra).length) {
    const pairs = Object.entries(extra).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
    args.push(`    extra_body={${pairs.join(', ')}},`);
  }
  return [
    'import os',
    'from openai import OpenAI',
    '',
    `client = OpenAI(base_url=${JSON.stringify(baseUrl)}, api_key=os.environ[${JSON.stringify(KEY_ENV)}])`,
    `result = client.images.${imageName ? 'edit' : 'generate'}(`,
    ...args,
    ')',
    'for image in result.data:',
    '    print(image.url)',
  ].join('\n');
}

function node(baseUrl, fields, imageName) {
  const { typed, extra } = split(fields);
  const props = Object.entries(typed).map(([k, v]) => `  ${k}: ${JSON.stringify(v)},`);
  if (imageName) {
    props.splice(1, 0, `  image: fs.createReadStream(${JSON.stringify(imageName)}),`);
  }
  if (Object.keys(extra).length) {
    props.push("  // Kiln's extensions travel in the request body as they are:");
    props.push(...Object.entries(extra).map(([k, v]) => `  ${k}: ${JSON.stringify(v)},`));
  }
  return [
    ...(imageName ? ['import fs from "node:fs";'] : []),
    'import OpenAI from "openai";',
    '',
    `const client = new OpenAI({ baseURL: ${JSON.stringify(baseUrl)}, apiKey: process.env.${KEY_ENV} });`,
    `const result = await client.images.${imageName ? 'edit' : 'generate'}({`,
    ...props,
    '});',
    'for (const image of result.data) console.log(image.url);',
  ].join('\n');
}

function split(fields) {
  const typed = {};
  const extra = {};
  for (const [k, v] of Object.entries(fields)) {
    (OPENAI_FIELDS.includes(k) ? typed : extra)[k] = v;
  }
  return { typed, extra };
}

/** POSIX single quotes: everything literal, a ' written as '\''. */
export function shellQuote(text) {
  return `'${String(text).replace(/'/g, `'\\''`)}'`;
}
