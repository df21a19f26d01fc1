// The explorer and the HTML report in a real browser (Debian's headless
// chromium driven by puppeteer-core): a real `insource serve` on a free
// loopback port, with a bearer token and a rules file it reloads.
//
//   node explorer.test.mjs BUILD_DIR SOURCE_DIR [NODE_DIR]
//
// NODE_DIR holds node_modules with puppeteer-core and axe-core (npm_ci.sh puts
// them in BUILD_DIR/browser-node, which is the default).
//
// It types the token, loads an example, fills the form, moves a weight
// slider, downloads the what-if rules file, uploads JSON Lines and CSV files,
// follows a reload, simulates a case with uncertain facts, and checks that every verdict, total and contribution on
// screen is /v1/decide's (or /v1/batch's); that the page logs no console
// error and asks nothing of any address but 127.0.0.1; that the report file
// renders its charts with the values of `decide --format json`; and it runs
// axe-core on each view. Screenshots go to BUILD_DIR/browser-screenshots/.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const [buildDir, sourceDir, nodeDir = path.join(buildDir, 'browser-node')] = process.argv.slice(2).map((p) => path.resolve(p));
// The packages are looked up from NODE_DIR, not from beside this file: they
// live in the build folder, the sources stay clean.
const require = createRequire(path.join(nodeDir, 'package.json'));
const puppeteerModule = require('puppeteer-core');
const puppeteer = puppeteerModule.default ?? puppeteerModule;
const insource = path.join(buildDir, 'bin', 'insource');
const shots = path.join(buildDir, 'browser-screenshots');
fs.mkdirSync(shots, { recursive: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'insource-browser-'));
const TOKEN = 'browser-test-token-' + process.pid;
const started = Date.now();
const step = (s) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${s}`);

// ---- the server ------------------------------------------------------------------
const rulesFile = path.join(work, 'rules.yaml');
fs.copyFileSync(path.join(sourceDir, 'rules', 'default.yaml'), rulesFile);
fs.writeFileSync(path.join(work, 'tokens'), TOKEN + '\n', { mode: 0o600 });

function startServer() {
  return new Promise((resolve, reject) => {
    const p = spawn(insource, ['serve', '--listen', '127.0.0.1:0', '--rules', rulesFile, '--token-file',
      path.join(work, 'tokens'), '--threads', '4'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => reject(new Error('serve did not start: ' + err)), 15000);
    p.stderr.on('data', (d) => {
      err += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(err);
      if (m) { clearTimeout(timer); resolve({ proc: p, port: Number(m[1]) }); }
    });
    p.on('exit', (code) => reject(new Error('serve exited ' + code + ': ' + err)));
  });
}

const { proc: server, port } = await startServer();
const base = `http://127.0.0.1:${port}`;
step('serve listening on ' + base);

async function api(p, body, type = 'application/json') {
  const res = await fetch(base + p, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: 'Bearer ' + TOKEN, ...(body !== undefined ? { 'Content-Type': type } : {}) },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

// ---- the browser -----------------------------------------------------------------
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--metrics-recording-only',
    '--no-default-browser-check', '--disable-features=Translate,MediaRouter,OptimizationHints'],
});
const failures = [];
let page;
try {
  page = await browser.newPage();
  await page.setViewport({ width: 1360, height: 1000 });
  await page.setBypassCSP(true);  // only so that axe-core can be injected; the page itself sends its CSP
  const requests = [];
  const consoleErrors = [];
  let expectAuthErrors = true;  // before the token is typed, the page's requests get 401 (and Chrome says so)
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (expectAuthErrors && /status of 401/.test(m.text())) return;
    consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push('page error: ' + e.message));
  const downloads = path.join(work, 'downloads');
  fs.mkdirSync(downloads);
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });

  // Reads what the page shows of the decision: verdict, total, contributions.
  const shown = () => page.evaluate(() => {
    const r = document.querySelector('#result section.case');
    if (!r) return null;
    const c = {};
    for (const row of r.querySelectorAll('table.criteria tr[data-criterion]'))
      c[row.dataset.criterion] = {
        weight: Number(row.dataset.weight),
        contribution: row.dataset.contribution === undefined ? null : Number(row.dataset.contribution),
        text: row.children[3].textContent,
      };
    const bars = {};
    for (const b of r.querySelectorAll('svg.contributions rect[data-criterion]')) bars[b.dataset.criterion] = Number(b.dataset.contribution);
    return {
      id: r.dataset.case,
      verdict: r.querySelector('.headline .verdict').textContent,
      total: Number(r.querySelector('.headline .total').dataset.total),
      totalText: r.querySelector('.headline .total').textContent,
      chartTotal: Number(r.querySelector('svg.contributions rect.total').dataset.total),
      rule: r.querySelector('.decided-by').dataset.rule,
      criteria: c, bars,
      simulation: r.querySelector('div.simulated') ? {
        draws: Number(document.querySelector('#result').dataset.draws),
        probabilities: Object.fromEntries([...r.querySelectorAll('table.simulation tr[data-verdict]')].map((t) => [t.dataset.verdict, Number(t.dataset.probability)])),
        p50: Number(r.querySelector('p.quantiles').dataset.p50),
        counts: [...r.querySelectorAll('svg.histogram rect[data-count]')].map((b) => Number(b.dataset.count)),
      } : null,
      changes: document.querySelector('#changes').hidden ? null : { ...document.querySelector('#changes').dataset },
    };
  });
  const currentCase = () => page.evaluate(() => currentCase());
  const whatIf = () => page.evaluate(() => whatIfPayload());
  const fixed3 = (x) => (x >= 0 ? '+' : '') + x.toFixed(3);

  // Checks the screen against /v1/decide's JSON for the same case and what-if.
  // A case with uncertain facts is compared with /v1/decide?simulate= (the
  // page's draws and seed): the record at the most likely values, and its
  // simulation.
  async function sameAsApi(label) {
    const c = await currentCase();
    const w = await whatIf();
    const params = [];
    if (w) params.push('what_if=' + encodeURIComponent(JSON.stringify(w)));
    const sim = await page.evaluate(() => uncertainCase() ? { draws: simulationDraws(), seed: simulationSeed() } : null);
    if (sim) params.push('simulate=' + sim.draws, 'seed=' + sim.seed);
    const want = (await api('/v1/decide' + (params.length ? '?' + params.join('&') : ''), JSON.stringify(c))).json();
    const got = await shown();
    assert.ok(got, label + ': no result on screen');
    assert.equal(got.id, want.id, label + ': case id');
    assert.equal(got.verdict, want.verdict, label + ': verdict');
    assert.equal(got.total, want.total, label + ': total');
    assert.equal(got.chartTotal, want.total, label + ': total in the chart');
    assert.equal(got.totalText, fixed3(want.total), label + ': total as written');
    assert.equal(got.rule, want.rule || '', label + ': deciding rule');
    for (const [name, cj] of Object.entries(want.criteria)) {
      assert.ok(got.criteria[name], label + ': criterion ' + name + ' shown');
      assert.equal(got.criteria[name].weight, cj.weight, label + ': weight of ' + name);
      if (cj.abstained) {
        assert.equal(got.criteria[name].contribution, null, label + ': ' + name + ' abstains');
      } else {
        assert.equal(got.criteria[name].contribution, cj.contribution, label + ': contribution of ' + name);
        assert.equal(got.bars[name], cj.contribution, label + ': bar of ' + name);
        assert.equal(got.criteria[name].text, fixed3(cj.contribution), label + ': contribution of ' + name + ' as written');
      }
    }
    assert.deepEqual(got.simulation, want.simulation ? {
      draws: want.simulation.draws, probabilities: want.simulation.probabilities,
      p50: want.simulation.total.p50, counts: want.simulation.histogram.counts,
    } : null, label + ': the simulation');
    step(label + ': screen = /v1/decide (' + want.verdict + ', total ' + want.total + ')');
    return { want, got };
  }

  async function waitForDecision(pred, label) {
    await page.waitForFunction(pred, { timeout: 10000 }).catch(() => { throw new Error('timed out waiting: ' + label); });
    await new Promise((r) => setTimeout(r, 100));
  }

  async function axe(label, p = page) {
    await p.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
    const result = await p.evaluate(async () => {
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
        targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    });
    step('axe-core ' + require('axe-core/package.json').version + ' on ' + label + ': ' +
      (result.length ? result.map((v) => `${v.id} (${v.impact}, ${v.nodes} nodes: ${v.targets.join('; ')})`).join(', ') : 'no violations'));
    fs.writeFileSync(path.join(shots, 'axe-' + label + '.json'), JSON.stringify(result, null, 1));
    const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(serious.map((v) => v.id), [], 'axe-core: serious or critical violations on ' + label);
  }

  // 1. The page asks for the token, keeps it in memory, loads the example.
  await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#token-form:not([hidden])', { timeout: 10000 });
  await page.type('#token', TOKEN);
  expectAuthErrors = false;
  await page.keyboard.press('Enter');
  await waitForDecision(() => document.querySelector('#result section.case'), 'the first decision');
  const storage = await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie);
  assert.ok(!storage.includes(TOKEN), 'the token is kept in memory only');
  const rev = await page.$eval('#revision', (e) => e.dataset.revision);
  assert.equal(rev, (await api('/v1/rules')).json().rules_revision, 'the revision shown is the served one');
  await sameAsApi('example candy-launch');
  await page.screenshot({ path: path.join(shots, 'explorer-case.png'), fullPage: true });

  // 2. The form: the fields come from the plugins' fact declarations.
  const plugins = (await api('/v1/plugins')).json().plugins;
  for (const p of plugins) for (const f of p.facts) {
    const id = 'fact-' + f.name.replace(/[^A-Za-z0-9_-]/g, '-');
    const field = await page.$('#' + id);
    assert.ok(field, 'a field for ' + f.name);
    const label = await page.$eval(`label[for="${id}"]`, (l) => l.textContent);
    assert.ok(label.length > 0, 'a label for ' + f.name);
    if (f.allowed) {
      const opts = await page.$eval('#' + id, (s) => [...s.options].map((o) => o.value).filter(Boolean));
      assert.deepEqual(opts, f.allowed, 'the levels of ' + f.name);
    }
  }
  // Fill it: a team with room to spare lets the vote decide (the override needs utilization >= 0.9).
  await page.click('#fact-capacity-utilization', { clickCount: 3 });
  await page.type('#fact-capacity-utilization', '0.5');
  await page.select('#fact-security-vendor_certified', 'false');
  await waitForDecision(() => document.querySelector('#result .decided-by')?.dataset.rule === '', 'the vote to decide');
  await sameAsApi('form filled');

  // 3. A weight slider, moved with the keyboard: decided again with the what-if.
  const before = await shown();
  await page.focus('#weight-control');
  for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowRight');
  await waitForDecision(() => !document.querySelector('#changes').hidden, 'the what-if');
  await page.waitForFunction(() => Number(document.querySelector('#weight-control').value) > 0.6);
  await new Promise((r) => setTimeout(r, 600));
  const w = await whatIf();
  assert.ok(w && w.weights && w.weights.control > 0.6, 'the slider moved the control weight: ' + JSON.stringify(w));
  const { want: movedJson } = await sameAsApi('control weight ' + w.weights.control);
  assert.equal(movedJson.what_if.weights.control, w.weights.control, '/v1/decide echoes the what-if');
  const changes = (await shown()).changes;
  assert.equal(changes.before, before.verdict, 'what changed: the verdict before');
  assert.equal(changes.after, movedJson.verdict, 'what changed: the verdict after');
  await page.screenshot({ path: path.join(shots, 'explorer-what-if.png'), fullPage: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, 'docs-explorer-what-if.png') });  // the first screen, for the README
  await axe('case');

  // 4. The download: a rules file extending the served one that decides as the what-if did.
  await page.click('#download-rules');
  const file = path.join(downloads, 'what-if.yaml');
  for (let i = 0; i < 50 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(fs.existsSync(file), 'the rules file was downloaded');
  const rulesText = fs.readFileSync(file, 'utf8');
  assert.match(rulesText, new RegExp('extends: "' + rulesFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '"'));
  const caseFile = path.join(work, 'case.json');
  fs.writeFileSync(caseFile, JSON.stringify(await currentCase()));
  const cli = JSON.parse(execFileSync(insource, ['decide', '--format', 'json', '--rules', file, caseFile]).toString());
  assert.equal(cli.verdict, movedJson.verdict, 'the downloaded rules decide as the what-if: verdict');
  assert.equal(cli.total, movedJson.total, 'the downloaded rules decide as the what-if: total');
  step('downloaded what-if.yaml decides ' + cli.verdict + ' ' + cli.total + ' with `insource decide`');

  // 5. Many cases: JSON Lines with a broken line, then CSV.
  const gen = execFileSync('/usr/bin/python3', [path.join(sourceDir, 'tools', 'gen_cases.py'), '60']).toString();
  const lines = gen.trim().split('\n');
  lines.splice(7, 0, '{"id": "broken", "facts": {"cost": {"hours": "12"}}}');
  const jsonl = path.join(work, 'cases.jsonl');
  fs.writeFileSync(jsonl, lines.join('\n') + '\n');
  await page.click('#tab-batch');
  const upload = await page.$('#batch-file');
  await upload.uploadFile(jsonl);
  await waitForDecision(() => document.querySelector('#batch-result section.batch') && document.querySelector('table.verdict-changes'), 'the batch summary');
  const baseRecords = (await api('/v1/batch', lines.join('\n') + '\n', 'application/x-ndjson')).text.trim().split('\n').map((l) => JSON.parse(l));
  const movedRecords = (await api('/v1/batch?what_if=' + encodeURIComponent(JSON.stringify(await whatIf())), lines.join('\n') + '\n', 'application/x-ndjson'))
    .text.trim().split('\n').map((l) => JSON.parse(l));
  const counts = {};
  for (const r of baseRecords) if (!r.error) counts[r.verdict] = (counts[r.verdict] || 0) + 1;
  const onScreen = await page.evaluate(() => {
    const out = {};
    for (const b of document.querySelectorAll('#batch-result svg.verdicts rect[data-verdict]')) out[b.dataset.verdict] = Number(b.dataset.count);
    return out;
  });
  assert.deepEqual(onScreen, counts, 'cases per verdict = /v1/batch');
  const errorLines = await page.$$eval('#batch-result table.errors tr[data-line]', (rows) => rows.map((r) => Number(r.dataset.line)));
  assert.deepEqual(errorLines, baseRecords.filter((r) => r.error).map((r) => r.line), 'every error record with its line');
  const changedWant = baseRecords.map((b, i) => [b, movedRecords[i]]).filter(([b, m]) => !b.error && b.verdict !== m.verdict)
    .map(([b, m]) => [b.id, b.verdict, m.verdict]);
  const changedGot = await page.$$eval('table.verdict-changes tr[data-case]', (rows) => rows.map((r) => [r.dataset.case, r.dataset.before, r.dataset.after]));
  assert.deepEqual(changedGot, changedWant, 'the cases whose verdict the what-if changes');
  step(`batch: ${baseRecords.length} records, verdicts ${JSON.stringify(counts)}, ${changedWant.length} change under the what-if`);
  await page.screenshot({ path: path.join(shots, 'explorer-batch.png'), fullPage: true });
  await page.screenshot({ path: path.join(shots, 'docs-explorer-batch.png') });
  await axe('batch');

  const csv = path.join(work, 'cases.csv');
  fs.writeFileSync(csv, 'id,cost.hours,cost.internal_rate,cost.external_rate,control.institutional_knowledge,capacity.utilization\n' +
    'csv-a,100,80,40,low,0.2\ncsv-b,100,40,80,high,0.95\n"csv, c",100,60,60,medium,\n');
  await upload.uploadFile(csv);
  await page.waitForFunction(() => document.querySelector('#batch-result section.batch')?.dataset.records === '3', { timeout: 10000 });
  const csvWant = (await api('/v1/batch', '{"id":"csv-a","facts":{"cost.hours":100,"cost.internal_rate":80,"cost.external_rate":40,"control.institutional_knowledge":"low","capacity.utilization":0.2}}\n' +
    '{"id":"csv-b","facts":{"cost.hours":100,"cost.internal_rate":40,"cost.external_rate":80,"control.institutional_knowledge":"high","capacity.utilization":0.95}}\n' +
    '{"id":"csv, c","facts":{"cost.hours":100,"cost.internal_rate":60,"cost.external_rate":60,"control.institutional_knowledge":"medium"}}\n', 'application/x-ndjson'))
    .text.trim().split('\n').map((l) => JSON.parse(l));
  const csvCounts = {};
  for (const r of csvWant) csvCounts[r.verdict] = (csvCounts[r.verdict] || 0) + 1;
  const csvShown = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#batch-result svg.verdicts rect[data-verdict]')].map((b) => [b.dataset.verdict, Number(b.dataset.count)])));
  assert.deepEqual(csvShown, csvCounts, 'CSV upload: cases per verdict = /v1/batch');
  step('CSV upload: ' + JSON.stringify(csvShown));

  // 6. A reload on the server shows, and the case is decided again under it.
  await page.click('#tab-case');
  fs.writeFileSync(rulesFile, fs.readFileSync(rulesFile, 'utf8').replace(/insource: 0\.20/, 'insource: 0.25'));
  const reload = (await api('/v1/reload', '')).json();
  assert.equal(reload.reloaded, true, 'the server reloaded');
  await page.waitForFunction((r) => document.querySelector('#revision')?.dataset.revision === r, { timeout: 10000 }, reload.rules_revision);
  await waitForDecision(() => !document.querySelector('#notice').hidden, 'the reload notice');
  await new Promise((r) => setTimeout(r, 500));
  await sameAsApi('after the reload');
  step('followed the reload to revision ' + reload.rules_revision.slice(0, 12));

  // 6b. A case with uncertain facts: its fields say so, and each decision is a
  // simulation equal to /v1/decide?simulate= (the what-if still in force).
  await page.select('#example', 'candy-launch-uncertain');
  await waitForDecision(() => document.querySelector('#result div.simulated') && document.querySelector('#result').dataset.draws === '2000', 'the simulation');
  const hours = await page.evaluate(() => ({ disabled: document.querySelector('#fact-cost-hours').disabled,
    note: document.querySelector('#fact-cost-hours-uncertain').textContent,
    shown: !document.querySelector('#simulation-fields').hidden }));
  assert.equal(hours.disabled, true, 'an uncertain fact\'s field is off');
  assert.match(hours.note, /Uncertain: PERT\(800, 1200, 2000\)/, 'an uncertain fact says its distribution');
  assert.equal(hours.shown, true, 'the simulation fields are shown');
  await sameAsApi('uncertain example, 2000 draws');
  await page.click('#sim-draws', { clickCount: 3 });
  await page.type('#sim-draws', '5000');
  await waitForDecision(() => document.querySelector('#result').dataset.draws === '5000', 'the simulation of 5000 draws');
  await sameAsApi('uncertain example, 5000 draws');
  await page.screenshot({ path: path.join(shots, 'explorer-uncertain.png'), fullPage: true });
  await axe('uncertain');
  // Fixing the fact that drives the outcome: the override's share goes.
  await page.click('#fact-capacity-utilization-uncertain button');
  await page.waitForFunction(() => !document.querySelector('#fact-capacity-utilization').disabled);
  await waitForDecision(() => !document.querySelector('#result tr[data-verdict="outsource-then-insource"]'), 'the override to go');
  assert.equal(await page.$eval('#fact-capacity-utilization', (e) => e.value), '0.85', 'a plain value: the most likely one');
  await sameAsApi('capacity.utilization fixed at 0.85');

  // 7. Nothing off the machine, no console error.
  const off = requests.filter((u) => !u.startsWith(base + '/') && !u.startsWith('blob:' + base) && !u.startsWith('data:'));
  assert.deepEqual(off, [], 'requests off 127.0.0.1');
  assert.deepEqual(consoleErrors, [], 'console errors');
  step(`${requests.length} requests, all to ${base}; no console error`);

  // 8. The report file: self-contained, its charts carry decide's numbers.
  const report = path.join(shots, 'report.html');
  const cases = ['candy-launch', 'office-catering', 'back-office-accounting'].map((c) => path.join(sourceDir, 'examples', 'cases', c + '.yaml'));
  execFileSync(insource, ['report', ...cases, '-o', report]);
  const decided = execFileSync(insource, ['decide', '--format', 'json', ...cases]).toString().trim().split('\n').map((l) => JSON.parse(l));
  const rpage = await browser.newPage();
  const rrequests = [];
  rpage.on('request', (r) => rrequests.push(r.url()));
  rpage.on('console', (m) => { if (m.type() === 'error') consoleErrors.push('report: ' + m.text()); });
  await rpage.setViewport({ width: 1100, height: 900 });
  await rpage.setBypassCSP(true);
  await rpage.goto('file://' + report, { waitUntil: 'load' });
  for (const d of decided) {
    const got = await rpage.evaluate((id) => {
      const s = document.querySelector(`section.case[data-case="${id}"]`);
      const bars = {};
      for (const b of s.querySelectorAll('svg.contributions rect[data-criterion]')) {
        const box = b.getBBox();
        bars[b.dataset.criterion] = { value: Number(b.dataset.contribution), width: box.width };
      }
      return {
        verdict: s.querySelector('.headline .verdict').textContent,
        total: Number(s.querySelector('svg.contributions').dataset.total),
        thresholds: [...s.querySelectorAll('svg.contributions line[data-threshold]')].map((l) => Number(l.dataset.value)),
        bars, margins: s.querySelectorAll('svg.contributions g.margin').length,
        trace: s.querySelectorAll('table.trace tr[data-override]').length,
      };
    }, d.id);
    assert.equal(got.verdict, d.verdict, 'report: verdict of ' + d.id);
    assert.equal(got.total, d.total, 'report: total of ' + d.id);
    assert.deepEqual(got.thresholds, [-0.2, 0.2], 'report: thresholds drawn');
    for (const [name, c] of Object.entries(d.criteria)) {
      if (c.abstained) continue;
      assert.equal(got.bars[name].value, c.contribution, 'report: bar of ' + name + ' in ' + d.id);
      assert.ok(got.bars[name].width >= 1, 'report: bar of ' + name + ' drawn');
    }
    assert.equal(got.trace, 3, 'report: the trace of the three overrides');
  }
  await rpage.screenshot({ path: path.join(shots, 'report.png'), fullPage: false });
  await axe('report', rpage);
  assert.deepEqual(rrequests.filter((u) => u !== 'file://' + report), [], 'the report requests nothing');
  await rpage.emulateMediaType('print');
  await rpage.pdf({ path: path.join(shots, 'report.pdf'), format: 'A4' });
  step('report.html: ' + decided.length + ' cases, charts = decide --format json; printed to report.pdf');

  // The batch report.
  const breport = path.join(shots, 'batch-report.html');
  try {
    execFileSync(insource, ['batch', '--quiet', '--report', breport, jsonl, '-o', path.join(work, 'out.jsonl')], { stdio: 'ignore' });
  } catch (e) { /* exit 1: the broken line */ }
  await rpage.emulateMediaType('screen');
  await rpage.goto('file://' + breport, { waitUntil: 'load' });
  const bcounts = await rpage.evaluate(() => Object.fromEntries([...document.querySelectorAll('svg.verdicts rect[data-verdict]')].map((b) => [b.dataset.verdict, Number(b.dataset.count)])));
  const cliRecords = fs.readFileSync(path.join(work, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const cliCounts = {};
  for (const r of cliRecords) if (!r.error) cliCounts[r.verdict] = (cliCounts[r.verdict] || 0) + 1;
  assert.deepEqual(bcounts, cliCounts, 'batch report: cases per verdict = batch records');
  await rpage.screenshot({ path: path.join(shots, 'batch-report.png'), fullPage: true });
  await axe('batch-report', rpage);
  step('batch-report.html: ' + JSON.stringify(bcounts));

  // The report of a case with uncertain facts: its simulation drawn with the
  // numbers of `decide --simulate --format json` (same draws, same seed).
  const uncertain = path.join(sourceDir, 'examples', 'uncertain', 'candy-launch.yaml');
  const sreport = path.join(shots, 'simulation-report.html');
  execFileSync(insource, ['report', '--simulate', '2000', '--seed', '7', uncertain, '-o', sreport]);
  const sim = JSON.parse(execFileSync(insource, ['decide', '--simulate', '2000', '--seed', '7', '--format', 'json', uncertain]).toString()).simulation;
  await rpage.goto('file://' + sreport, { waitUntil: 'load' });
  const drawn = await rpage.evaluate(() => {
    const s = document.querySelector('section.case');
    const q = s.querySelector('p.quantiles');
    return {
      probabilities: Object.fromEntries([...s.querySelectorAll('table.simulation tr[data-verdict]')].map((r) => [r.dataset.verdict, Number(r.dataset.probability)])),
      intervals: Object.fromEntries([...s.querySelectorAll('table.simulation tr[data-verdict]')].map((r) => [r.dataset.verdict, [Number(r.dataset.intervalLow), Number(r.dataset.intervalHigh)]])),
      total: { p5: Number(q.dataset.p5), p50: Number(q.dataset.p50), p95: Number(q.dataset.p95), mean: Number(q.dataset.mean) },
      counts: [...s.querySelectorAll('svg.histogram rect[data-count]')].map((b) => Number(b.dataset.count)),
      heights: [...s.querySelectorAll('svg.histogram rect[data-count]')].map((b) => b.getBBox().height),
      drivers: [...s.querySelectorAll('table.drivers tr[data-fact]')].map((r) => ({ fact: r.dataset.fact, effect: Number(r.dataset.effect) })),
    };
  });
  assert.deepEqual(drawn.probabilities, sim.probabilities, 'simulation report: probabilities');
  assert.deepEqual(drawn.intervals, sim.intervals, 'simulation report: intervals');
  assert.deepEqual(drawn.total, sim.total, 'simulation report: quantiles of the total');
  assert.deepEqual(drawn.counts, sim.histogram.counts, 'simulation report: histogram counts');
  assert.equal(drawn.counts.reduce((a, b) => a + b, 0), sim.draws, 'simulation report: every draw in the histogram');
  assert.ok(Math.max(...drawn.heights) > 50, 'simulation report: the histogram is drawn');
  assert.deepEqual(drawn.drivers, sim.drivers, 'simulation report: drivers');
  await rpage.screenshot({ path: path.join(shots, 'simulation-report.png'), fullPage: true });
  await (await rpage.$('section.case div.simulated')).screenshot({ path: path.join(shots, 'docs-simulation-report.png') });
  await axe('simulation-report', rpage);
  step('simulation-report.html: ' + JSON.stringify(sim.probabilities) + ', ' + sim.draws + ' draws in ' + drawn.counts.length + ' bins');
} catch (e) {
  failures.push(e);
  if (page) await page.screenshot({ path: path.join(shots, 'failure.png'), fullPage: true }).catch(() => {});
} finally {
  await browser.close().catch(() => {});
  server.kill('SIGTERM');
  fs.rmSync(work, { recursive: true, force: true });
}
if (failures.length) {
  for (const f of failures) console.error(f.stack || f);
  process.exit(1);
}
step('all browser checks passed');
