// gcsync's function runner: loads a handler module (CommonJS or ESM) and invokes it as the
// Lambda Node.js runtime does, with the event and context read from stdin. console output
// is captured in order; the outcome is printed as one JSON line after a per-run marker.
// Arguments: <module file> <export name> <marker>
'use strict';
const { pathToFileURL } = require('node:url');
const util = require('node:util');
const [, , file, exportName, marker] = process.argv;
const logs = [];
for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
  console[level] = (...args) => logs.push(`${level.toUpperCase()} ${util.format(...args)}`);
}
const realWrite = process.stdout.write.bind(process.stdout);
function finish(outcome) {
  outcome.logs = logs;
  let text;
  try {
    text = JSON.stringify(outcome);
  } catch (e) {
    text = JSON.stringify({ ok: false, errorType: 'TypeError', errorMessage: `the result cannot be serialized as JSON: ${e.message}`, trace: [], logs });
  }
  realWrite(`\n${marker}${text}\n`, () => process.exit(0));
}
function thrown(e) {
  if (e instanceof Error) {
    return { ok: false, errorType: e.name || 'Error', errorMessage: e.message, trace: String(e.stack || '').split('\n') };
  }
  return { ok: false, errorType: typeof e, errorMessage: String(e), trace: [] };
}
async function main(input) {
  const { event, clientContext, functionName, requestId, timeoutMs } = JSON.parse(input);
  const deadline = Date.now() + timeoutMs;
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    return finish({ ...thrown(e), errorType: 'Runtime.ImportModuleError' });
  }
  const fn = typeof mod[exportName] === 'function' ? mod[exportName]
    : (mod.default && typeof mod.default[exportName] === 'function' ? mod.default[exportName] : undefined);
  if (!fn) {
    return finish({ ok: false, errorType: 'Runtime.HandlerNotFound', errorMessage: `${file} does not export a function \`${exportName}\``, trace: [] });
  }
  const context = {
    functionName,
    functionVersion: '$LATEST',
    awsRequestId: requestId,
    clientContext,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await new Promise((resolve, reject) => {
      const callback = (err, res) => (err ? reject(err) : resolve(res));
      const r = fn(event, context, callback);
      if (r && typeof r.then === 'function') r.then(resolve, reject);
      else if (fn.length < 3) resolve(r);
    });
    finish({ ok: true, result: result === undefined ? null : result });
  } catch (e) {
    finish(thrown(e));
  }
}
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => { main(input).catch((e) => finish(thrown(e))); });
process.on('uncaughtException', (e) => finish(thrown(e)));
process.on('unhandledRejection', (e) => finish(thrown(e)));
