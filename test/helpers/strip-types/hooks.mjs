// Module customization hooks for register.mjs: a .ts/.mts file of this package is loaded as an ES
// module with its types stripped (amaro strip-only, like node --experimental-strip-types).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import amaro from 'amaro';

export async function load(url, context, next) {
  if (url.startsWith('file:') && /\.m?ts$/.test(url) && !url.includes('/node_modules/')) {
    const source = await readFile(new URL(url), 'utf8');
    const { code } = amaro.transformSync(source, { mode: 'strip-only', filename: fileURLToPath(url) });
    return { format: 'module', source: `${code}\n//# sourceURL=${url}`, shortCircuit: true };
  }
  return next(url, context);
}
