// Tiny DOM helpers: elements are built with textContent only, never innerHTML, so nothing the API or the
// user typed is ever parsed as markup.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name === 'text') {
      node.textContent = value;
    } else if (name === 'className') {
      node.className = value;
    } else if (name.startsWith('on')) {
      node.addEventListener(name.slice(2), value);
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) {
      node.append(child);
    }
  }
  return node;
}

export function byId(id) {
  return document.getElementById(id);
}

/** Micro-dollars as dollars, with as many decimals as the amount needs (at least 2, at most 6). */
export function dollars(micros) {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  let text = (abs / 1e6).toFixed(6).replace(/0+$/, '');
  const decimals = text.length - text.indexOf('.') - 1;
  if (decimals < 2) {
    text = (abs / 1e6).toFixed(2);
  }
  return `${sign}$${text}`;
}

export function base64ToBlob(b64, type = 'image/png') {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  return new Blob([bytes], { type });
}

/** Copies text; falls back to a selection where the async clipboard is unavailable (plain http). */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = el('textarea', { readonly: true, 'aria-hidden': 'true', className: 'offscreen' });
    area.value = text;
    document.body.append(area);
    area.select();
    const copied = document.execCommand('copy');
    area.remove();
    return copied;
  }
}
