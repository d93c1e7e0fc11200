// Streams one image request through the official OpenAI Node SDK and prints what the stream yielded.
//
//   node stream-images.mjs generate --base-url URL --prompt P [--partial-images N] [--n N] [--size WxH] [--model M]
//   node stream-images.mjs edit --base-url URL --image in.png --prompt P [--partial-images N] [--size WxH] [--model M]
//
// The key is --api-key, else KILN_API_KEY, else the SDK's own OPENAI_API_KEY (the base URL likewise falls back
// to KILN_BASE_URL, then OPENAI_BASE_URL). Prints one JSON line per event, then one summary line; on any error
// prints one {"error": …} line and exits 1 (2 for bad arguments). No retries: a test sees every failure.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI, { toFile } from 'openai';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function print(object) {
  process.stdout.write(JSON.stringify(object) + '\n');
}

function usage(message) {
  print({ error: { name: 'UsageError', message } });
  process.exit(2);
}

// The image of an event as a test can check it without the base64 in the output: size, digest and, for a
// PNG, the dimensions from its IHDR chunk (null when the bytes are not a PNG).
function describeImage(b64) {
  const bytes = Buffer.from(b64, 'base64');
  const png = bytes.length >= 24 && bytes.subarray(0, 8).equals(PNG_SIGNATURE);
  return {
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    png_width: png ? bytes.readUInt32BE(16) : null,
    png_height: png ? bytes.readUInt32BE(20) : null,
  };
}

function describeEvent(event, completedIndex) {
  const line = { type: event.type };
  if (event.type.endsWith('.partial_image')) {
    line.partial_image_index = event.partial_image_index;
  } else {
    line.completed_index = completedIndex;
    line.usage = event.usage;
  }
  for (const field of ['size', 'quality', 'background', 'output_format', 'created_at']) {
    line[field] = event[field];
  }
  return { ...line, ...describeImage(event.b64_json) };
}

const { values: args, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        'base-url': { type: 'string' },
        'api-key': { type: 'string' },
        prompt: { type: 'string' },
        image: { type: 'string' },
        'partial-images': { type: 'string' },
        n: { type: 'string' },
        size: { type: 'string' },
        model: { type: 'string', default: 'gpt-image-1' },
        'timeout-seconds': { type: 'string', default: '60' },
      },
    });
  } catch (e) {
    usage(e.message);
  }
})();

const mode = positionals[0];
if (positionals.length !== 1 || !['generate', 'edit'].includes(mode)) {
  usage('the first argument is generate or edit');
}
if (args.prompt === undefined) {
  usage('--prompt is required');
}
if (mode === 'edit' && args.image === undefined) {
  usage('edit needs --image FILE.png');
}

const client = new OpenAI({
  apiKey: args['api-key'] ?? process.env.KILN_API_KEY,
  baseURL: args['base-url'] ?? process.env.KILN_BASE_URL,
  timeout: Number(args['timeout-seconds']) * 1000,
  maxRetries: 0,
});

const params = { model: args.model, prompt: args.prompt, stream: true };
if (args['partial-images'] !== undefined) params.partial_images = Number(args['partial-images']);
if (args.n !== undefined) params.n = Number(args.n);
if (args.size !== undefined) params.size = args.size;

const counts = {};
let phase = 'request';
try {
  let stream;
  if (mode === 'generate') {
    stream = await client.images.generate(params);
  } else {
    const image = await toFile(await readFile(args.image), basename(args.image), { type: 'image/png' });
    stream = await client.images.edit({ ...params, image });
  }
  phase = 'stream';
  let completed = 0;
  for await (const event of stream) {
    const line = describeEvent(event, completed);
    if (event.type.endsWith('.completed')) completed++;
    counts[event.type] = (counts[event.type] ?? 0) + 1;
    print(line);
  }
  print({ summary: { mode, events: counts } });
} catch (e) {
  print({
    error: {
      name: e?.constructor?.name ?? typeof e,
      api_error: e instanceof OpenAI.APIError,
      phase,
      status: e?.status ?? null,
      type: e?.type ?? null,
      code: e?.code ?? null,
      param: e?.param ?? null,
      message: String(e?.message ?? e),
    },
    summary: { mode, events: counts },
  });
  process.exitCode = 1;
}
