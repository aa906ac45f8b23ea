// Opens a page of `lethe report` in a real headless Chromium and writes what
// the browser saw as JSON: every problem it reported (console messages,
// uncaught exceptions, log entries such as a blocked load, any request other
// than the page itself, a dialog), every figure as rendered (data-f, its text,
// a bar's value and height), the bars of each chart, and any text with a
// digit outside a figure or a label. The checks are run_cli_report.sh's.
//
// It speaks the DevTools protocol to Chromium over --remote-debugging-pipe
// (fds 3 and 4, NUL-terminated JSON): nothing to install but Node.js.
//
// Usage: node report_browser.js <chromium> <page.html> <out.json> [<screenshot.png> <width> <height>]
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const [chromium, pagePath, outPath, shotPath, shotWidth, shotHeight] = process.argv.slice(2);
if (!chromium || !pagePath || !outPath) {
  console.error('usage: node report_browser.js <chromium> <page.html> <out.json> [<png> <w> <h>]');
  process.exit(2);
}
const pageUrl = pathToFileURL(path.resolve(pagePath)).href;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lethe-report-chromium-'));
const browser = spawn(chromium, [
  '--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe',
  `--user-data-dir=${profile}`, '--no-first-run', '--no-default-browser-check',
  '--disable-extensions', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--disable-default-apps', '--mute-audio', 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });  // its own process group
let browserLog = '';
browser.stderr.on('data', (d) => { browserLog = (browserLog + d).slice(-4000); });

let pending = new Map();
let nextId = 1;
const events = [];
const waiters = [];
let inbox = Buffer.alloc(0);
browser.stdio[4].on('data', (chunk) => {
  inbox = Buffer.concat([inbox, chunk]);
  for (let end; (end = inbox.indexOf(0)) >= 0;) {
    const message = JSON.parse(inbox.subarray(0, end).toString('utf8'));
    inbox = inbox.subarray(end + 1);
    if (message.id !== undefined) {
      const call = pending.get(message.id);
      pending.delete(message.id);
      if (call && message.error) call.reject(new Error(`${call.method}: ${message.error.message}`));
      else if (call) call.resolve(message.result);
    } else {
      events.push(message);
      for (const w of waiters.filter((w) => w.test(message))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(message);
      }
    }
  }
});
const died = new Promise((_, reject) => browser.on('exit', (code, signal) =>
  reject(new Error(`chromium exited (${code ?? signal}) before the check ended:\n${browserLog}`))));
died.catch(() => {});

function send(method, params = {}, sessionId = undefined) {
  const id = nextId++;
  browser.stdio[3].write(JSON.stringify({ id, method, params, sessionId }) + '\0');
  return Promise.race([died, new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }))]);
}
function waitFor(test, ms, what) {
  return Promise.race([died, new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    waiters.push({ test, resolve: (m) => { clearTimeout(timer); resolve(m); } });
  })]);
}

// Runs in the page: the figures, the charts, and stray digits.
const EXTRACT = `(() => {
  // A bar segment's figure is its tooltip (an SVG title); the value drawn
  // and the height are its rect's.
  const figures = [...document.querySelectorAll('[data-f]')].map((e) => {
    const bar = e.tagName.toLowerCase() === 'title' ? e.parentElement : null;
    return {
      f: JSON.parse(e.getAttribute('data-f')),
      tag: e.tagName.toLowerCase(),
      text: e.textContent,
      value: bar ? bar.getAttribute('data-v') : null,
      height: bar ? bar.getAttribute('height') : null,
      chart: e.closest('figure') ? e.closest('figure').id : null,
    };
  });
  const charts = [...document.querySelectorAll('figure.chart')].map((f) => {
    const svg = f.querySelector('svg');
    return { id: f.id, top: Number(svg.dataset.top), plotH: Number(svg.dataset.plotH),
             days: [...svg.querySelectorAll('g.bar')].map((g) => g.getAttribute('data-day')),
             shown: getComputedStyle(f).display !== 'none',
             height: svg.getBoundingClientRect().height };
  });
  const stray = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walk.nextNode());) {
    if (!/[0-9]/.test(n.data)) continue;
    if (n.parentElement.closest('[data-f], .key, .tick, .lab, .legend, footer, code, label, figcaption, h1, h2, th'))
      continue;
    stray.push(n.data);
  }
  return { figures, charts, stray, scripts: document.scripts.length,
           text: document.body.innerText, title: document.title };
})()`;

async function main() {
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const page = (method, params) => send(method, params, sessionId);
  await page('Page.enable');
  await page('Runtime.enable');
  await page('Log.enable');
  await page('Network.enable');
  const width = Number(shotWidth || 1100);
  const height = Number(shotHeight || 900);
  await page('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
  const loaded = waitFor((m) => m.sessionId === sessionId && m.method === 'Page.loadEventFired',
                         30000, 'the page to load');
  const navigation = await page('Page.navigate', { url: pageUrl });
  if (navigation.errorText) throw new Error(`navigation failed: ${navigation.errorText}`);
  await loaded;
  await new Promise((r) => setTimeout(r, 500));  // late errors, if any
  const seen = await page('Runtime.evaluate', { expression: EXTRACT, returnByValue: true });
  if (seen.exceptionDetails) throw new Error(`the check's own script failed: ${JSON.stringify(seen.exceptionDetails)}`);

  const problems = [];
  for (const m of events.filter((e) => e.sessionId === sessionId)) {
    const p = m.params;
    if (m.method === 'Runtime.consoleAPICalled') {
      problems.push(`console.${p.type}: ${p.args.map((a) => a.value ?? a.description).join(' ')}`);
    } else if (m.method === 'Runtime.exceptionThrown') {
      problems.push(`exception: ${p.exceptionDetails.exception?.description ?? p.exceptionDetails.text}`);
    } else if (m.method === 'Log.entryAdded' && ['error', 'warning'].includes(p.entry.level)) {
      problems.push(`log ${p.entry.level} (${p.entry.source}): ${p.entry.text} ${p.entry.url ?? ''}`);
    } else if (m.method === 'Network.requestWillBeSent' && p.request.url !== pageUrl) {
      problems.push(`request: ${p.request.url}`);
    } else if (m.method === 'Page.javascriptDialogOpening') {
      problems.push(`dialog: ${p.type} ${p.message}`);
    }
  }
  const result = { url: pageUrl, problems, ...seen.result.value };
  if (shotPath) {
    const { data } = await page('Page.captureScreenshot', {
      format: 'png', clip: { x: 0, y: 0, width, height, scale: 1 }, captureBeyondViewport: true });
    fs.writeFileSync(shotPath, Buffer.from(data, 'base64'));
  }
  fs.writeFileSync(outPath, JSON.stringify(result, null, 1));
}

const watchdog = setTimeout(() => {
  console.error('report_browser.js: no answer from chromium within 90 s');
  try { process.kill(-browser.pid, 'SIGKILL'); } catch { browser.kill('SIGKILL'); }
  process.exit(1);
}, 90000);
watchdog.unref();
// The browser is ended whatever happens (Browser.close can take half a
// minute to exit headless Chromium: a kill is as good for a throwaway
// profile), then its profile folder removed.
main().catch((error) => {
  console.error(`report_browser.js: ${error.message}`);
  process.exitCode = 1;
}).finally(() => {
  clearTimeout(watchdog);
  // Chromium's helper processes (renderer, GPU, zygote) hold the pipes too:
  // end the whole process group it leads.
  browser.on('exit', () => fs.rmSync(profile, { recursive: true, force: true }));
  try { process.kill(-browser.pid, 'SIGKILL'); } catch { browser.kill('SIGKILL'); }
  for (const stream of [browser.stdio[3], browser.stdio[4], browser.stderr]) stream.destroy();
});
