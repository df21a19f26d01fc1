// The insource explorer: a page over the server's own HTTP API. It decides
// nothing itself: the form is generated from GET /v1/plugins and /v1/rules,
// every verdict, chart and table comes from POST /v1/decide (?html=true gives
// the report's rendering of the case), a what-if is applied by the server
// (?what_if=), the rules file to download is written by POST /v1/what-if/rules,
// and the batch summary by POST /v1/report. It talks to this server only.
'use strict';

// The last one gives some facts as distributions: the page then simulates.
const EXAMPLES = ['candy-launch', 'office-catering', 'back-office-accounting', 'candy-launch-uncertain'];

const state = {
  token: null,          // the bearer token, in memory only
  rules: null,          // GET /v1/rules
  plugins: null,        // GET /v1/plugins
  facts: [],            // every fact a form field is made for: {name, type, allowed, min, max, unit, description, criterion}
  whatIf: { weights: {}, params: {}, thresholds: {} },
  lastBatch: null,      // the uploaded file: {text, type, name}
  uncertain: {},        // fact -> its distribution as a loaded case gave it (/v1/cases): decided by simulation
  decideSeq: 0,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function fmt(x, d = 3) {
  if (typeof x !== 'number') return String(x);
  const s = x.toFixed(d);
  return x >= 0 ? '+' + s : s;
}

// ---- talking to the server ---------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error.message : 'HTTP ' + status);
    this.status = status;
    this.body = body;
  }
}

async function api(path, { method = 'GET', body, type = 'application/json', raw = false } = {}) {
  const headers = {};
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  if (body !== undefined) headers['Content-Type'] = type;
  const res = await fetch(path, { method, headers, body, cache: 'no-store' });
  if (res.status === 401) {
    $('token-form').hidden = false;
    $('token').focus();
  }
  if (raw && res.ok) return res;
  const text = await res.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = { text }; }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return { data: parsed, res };
}

// ---- the policy, and following its reloads -----------------------------------

async function loadPolicy() {
  const [rules, plugins] = await Promise.all([api('/v1/rules'), api('/v1/plugins')]);
  state.rules = rules.data;
  state.plugins = plugins.data;
  showPolicy();
  buildFactFields();
  buildWhatIfFields();
}

function showPolicy() {
  const r = state.rules;
  const p = $('policy');
  p.textContent = '';
  p.append('Served policy ', el('strong', { text: r.name || r.file }), ' (' + r.file + '), revision ',
    el('code', { id: 'revision', 'data-revision': r.rules_revision, 'data-generation': r.generation,
                 text: r.rules_revision.slice(0, 12) }),
    ', generation ' + r.generation + ', loaded ' + r.loaded_at + '.');
}

// A reload on the server (SIGHUP, POST /v1/reload, --watch) shows here within
// a few seconds: the form and the sliders are made again and the case decided
// again under the new policy.
async function followReloads() {
  try {
    const { data } = await api('/v1/rules');
    if (state.rules && (data.rules_revision !== state.rules.rules_revision || data.generation !== state.rules.generation)) {
      const before = state.rules.rules_revision.slice(0, 12);
      const values = readFacts();
      await loadPolicy();
      fillFacts(values);
      const n = $('notice');
      n.hidden = false;
      n.textContent = 'The server reloaded its policy: revision ' + before + ' → ' +
        state.rules.rules_revision.slice(0, 12) + ' (generation ' + state.rules.generation + '). Decided again.';
      scheduleDecide();
    }
  } catch (e) { /* the next poll tries again */ }
  setTimeout(followReloads, 2000);
}

// ---- the case form, made from the fact declarations ----------------------------

function collectFacts() {
  const facts = [];
  const seen = new Set();
  for (const p of state.plugins.plugins) {
    if (!p.votes) continue;
    for (const f of p.facts) {
      if (seen.has(f.name)) continue;
      seen.add(f.name);
      facts.push({ ...f, criterion: p.criterion, plugin: p.name });
    }
  }
  for (const f of state.rules.facts || []) {
    if (seen.has(f.name)) continue;
    seen.add(f.name);
    facts.push({ ...f, criterion: f.name.split('.')[0], plugin: 'the rules' });
  }
  return facts;
}

function fieldId(name) { return 'fact-' + name.replace(/[^A-Za-z0-9_-]/g, '-'); }

function buildFactFields() {
  state.facts = collectFacts();
  const box = $('fact-fields');
  box.textContent = '';
  const groups = new Map();
  for (const f of state.facts) {
    if (!groups.has(f.criterion)) groups.set(f.criterion, []);
    groups.get(f.criterion).push(f);
  }
  for (const [criterion, facts] of groups) {
    const fs = el('fieldset', {}, el('legend', { text: criterion }));
    for (const f of facts) fs.append(factRow(f));
    box.append(fs);
  }
}

function factRow(f) {
  const id = fieldId(f.name);
  const helpId = id + '-help';
  const short = f.name.includes('.') ? f.name.slice(f.name.indexOf('.') + 1) : f.name;
  const label = el('label', { for: id, text: short.replace(/_/g, ' ') + (f.unit ? ' (' + f.unit + ')' : '') });
  let input;
  const describedBy = f.description ? helpId : null;
  if (f.type === 'bool') {
    input = el('select', { id, 'data-fact': f.name, 'aria-describedby': describedBy },
      el('option', { value: '', text: '(not given)' }), el('option', { value: 'true', text: 'yes' }),
      el('option', { value: 'false', text: 'no' }));
  } else if (f.type === 'string' && f.allowed) {
    input = el('select', { id, 'data-fact': f.name, 'aria-describedby': describedBy },
      el('option', { value: '', text: '(not given)' }), ...f.allowed.map((v) => el('option', { value: v, text: v })));
  } else if (f.type === 'number') {
    input = el('input', { id, type: 'number', step: 'any', 'data-fact': f.name, 'aria-describedby': describedBy,
      min: f.min !== undefined ? f.min : (f.greater_than !== undefined ? f.greater_than : null),
      max: f.max !== undefined ? f.max : null, placeholder: f.default !== undefined ? 'default ' + f.default : '' });
  } else {
    input = el('input', { id, type: 'text', 'data-fact': f.name, 'aria-describedby': describedBy });
  }
  const row = el('div', { class: 'row' }, label, input);
  if (f.description) row.append(el('p', { class: 'help', id: helpId, text: f.description }));
  // Shown when a loaded case gives this fact as a distribution (fillFacts).
  const plain = el('button', { type: 'button', class: 'plain-value', text: 'Use a plain value' });
  plain.addEventListener('click', () => {
    input.value = String(mostLikely(state.uncertain[f.name]));
    delete state.uncertain[f.name];
    showUncertain(f);
    input.focus();
    scheduleDecide();
  });
  row.append(el('p', { class: 'uncertain', id: id + '-uncertain', hidden: true }, el('span', { class: 'dist' }), ' ', plain));
  return row;
}

// "PERT(800, 1200, 2000)", "uniform(50, 75)", "normal(30, 10)",
// "high 60%, medium 40%", "yes with 70%": a distribution as /v1/cases gives it.
function describeDist(d) {
  if ('likely' in d) return 'PERT(' + d.low + ', ' + d.likely + ', ' + d.high + ')';
  if (d.uniform) return 'uniform(' + d.uniform[0] + ', ' + d.uniform[1] + ')';
  if (d.normal) return 'normal(mean ' + d.normal.mean + ', sd ' + d.normal.sd + ')';
  if ('p_true' in d) return 'yes with ' + +(100 * d.p_true).toFixed(2) + '%';
  return Object.entries(d).map(([k, p]) => k + ' ' + +(100 * p).toFixed(2) + '%').join(', ');
}

// The value the server decides the case at when it is not simulated (the
// distribution's most likely value: Distribution::most_likely in the engine).
function mostLikely(d) {
  if ('likely' in d) return d.likely;
  if (d.uniform) return (d.uniform[0] + d.uniform[1]) / 2;
  if (d.normal) return d.normal.mean;
  if ('p_true' in d) return d.p_true >= 0.5;
  let best = null;
  for (const [k, p] of Object.entries(d)) if (best === null || p > d[best]) best = k;
  return best;
}

// A fact given as a distribution: its field is off and says so; the case is
// then decided by simulation (the draws and seed of the simulation fields).
function showUncertain(f) {
  const id = fieldId(f.name);
  const input = $(id);
  const note = $(id + '-uncertain');
  if (!input || !note) return;
  const d = state.uncertain[f.name];
  input.disabled = d !== undefined;
  note.hidden = d === undefined;
  note.querySelector('.dist').textContent = d === undefined ? '' : 'Uncertain: ' + describeDist(d) + '.';
  $('simulation-fields').hidden = !uncertainCase();
}

function uncertainCase() {
  return Object.keys(state.uncertain).length > 0;
}

function readFacts() {
  const facts = {};
  for (const f of state.facts) {
    const input = $(fieldId(f.name));
    if (state.uncertain[f.name] !== undefined) { facts[f.name] = state.uncertain[f.name]; continue; }
    if (!input || input.value === '') continue;
    if (f.type === 'number') facts[f.name] = Number(input.value);
    else if (f.type === 'bool') facts[f.name] = input.value === 'true';
    else facts[f.name] = input.value;
  }
  return facts;
}

function fillFacts(facts) {
  for (const f of state.facts) {
    const input = $(fieldId(f.name));
    if (!input) continue;
    const v = facts[f.name];
    if (v !== null && typeof v === 'object') {
      state.uncertain[f.name] = v;
      input.value = '';
    } else {
      delete state.uncertain[f.name];
      input.value = v === undefined || v === null ? '' : String(v);
    }
    showUncertain(f);
  }
}

function currentCase() {
  return { id: $('case-id').value.trim() || 'my-case', facts: readFacts() };
}

// Loads case text (YAML or JSON) through the server's case reader.
async function loadCaseText(text) {
  const { data } = await api('/v1/cases', { method: 'POST', body: text, type: 'text/plain' });
  if (!data.cases.length) throw new Error('the text holds no case');
  const c = data.cases[0];
  $('case-id').value = c.id;
  fillFacts(c.facts);
  scheduleDecide();
}

async function loadExample(name) {
  const res = await fetch('/examples/' + name + '.yaml', { cache: 'no-store' });
  await loadCaseText(await res.text());
}

// ---- what-if: weights, thresholds, parameters -----------------------------------

function servedWeights() {
  const w = {};
  for (const c of state.rules.criteria) w[c.name] = c.weight;
  return w;
}

function buildWhatIfFields() {
  const weights = $('weight-fields');
  weights.textContent = '';
  const served = servedWeights();
  // The policy's criteria in its order, then plugins it gives no weight (a what-if may add them).
  const criteria = state.rules.criteria.map((c) => c.name);
  for (const p of state.plugins.plugins) if (!criteria.includes(p.criterion)) criteria.push(p.criterion);
  for (const name of criteria) {
    weights.append(sliderRow('weight-' + name, name, served[name] || 0, 0, 1, 0.01,
      (v) => { setOrClear(state.whatIf.weights, name, v, served[name] || 0); }));
  }
  const th = $('threshold-fields');
  th.textContent = '';
  for (const t of ['insource', 'outsource']) {
    const v = state.rules.thresholds[t];
    th.append(sliderRow('threshold-' + t, t, v, -1, 1, 0.01,
      (x) => { setOrClear(state.whatIf.thresholds, t, x, v); }));
  }
  const params = $('param-fields');
  params.textContent = '';
  for (const c of state.rules.criteria) {
    const plugin = state.plugins.plugins.find((p) => p.criterion === c.name);
    if (!plugin) continue;
    for (const d of plugin.params) {
      const id = 'param-' + c.name + '-' + d.name;
      const now = c.params[d.name];
      let input;
      if (d.type === 'bool') {
        input = el('select', { id }, el('option', { value: 'true', text: 'yes' }), el('option', { value: 'false', text: 'no' }));
        input.value = String(now);
      } else {
        input = el('input', { id, type: d.type === 'number' ? 'number' : 'text', step: 'any', value: now });
      }
      const row = el('div', { class: 'row' }, el('label', { for: id, text: c.name + ': ' + d.name.replace(/_/g, ' ') }), input);
      if (d.description) {
        input.setAttribute('aria-describedby', id + '-help');
        row.append(el('p', { class: 'help', id: id + '-help', text: d.description }));
      }
      input.addEventListener('change', () => {
        let v = input.value;
        if (d.type === 'number') v = Number(v);
        if (d.type === 'bool') v = v === 'true';
        state.whatIf.params[c.name] = state.whatIf.params[c.name] || {};
        if (v === now) delete state.whatIf.params[c.name][d.name];
        else state.whatIf.params[c.name][d.name] = v;
        if (!Object.keys(state.whatIf.params[c.name]).length) delete state.whatIf.params[c.name];
        row.classList.toggle('moved', v !== now);
        whatIfChanged();
      });
      params.append(row);
    }
  }
  state.whatIf = { weights: {}, params: {}, thresholds: {} };
}

function setOrClear(obj, key, v, served) {
  if (Math.abs(v - served) < 1e-12) delete obj[key];
  else obj[key] = v;
}

function sliderRow(id, label, value, min, max, step, onChange) {
  const input = el('input', { id, type: 'range', min, max, step, value, 'data-served': value });
  const out = el('output', { for: id, id: id + '-value', text: Number(value).toFixed(2) });
  const row = el('div', { class: 'row slider' }, el('label', { for: id, text: label }), input, out);
  input.addEventListener('input', () => {
    const v = Number(input.value);
    out.textContent = v.toFixed(2);
    row.classList.toggle('moved', Math.abs(v - value) > 1e-12);
    onChange(v);
    whatIfChanged();
  });
  return row;
}

function whatIfPayload() {
  const w = {};
  if (Object.keys(state.whatIf.weights).length) w.weights = state.whatIf.weights;
  if (Object.keys(state.whatIf.params).length) w.params = state.whatIf.params;
  if (Object.keys(state.whatIf.thresholds).length) w.thresholds = state.whatIf.thresholds;
  return Object.keys(w).length ? w : null;
}

function whatIfChanged() {
  scheduleDecide();
  if (state.lastBatch) scheduleBatch();
}

async function downloadRules() {
  const w = whatIfPayload() || {};
  try {
    const res = await api('/v1/what-if/rules', { method: 'POST', body: JSON.stringify(w), raw: true });
    const blob = await res.blob();
    const a = el('a', { href: URL.createObjectURL(blob), download: 'what-if.yaml' });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (e) {
    $('decide-error').textContent = 'The rules file could not be made: ' + e.message;
  }
}

// ---- deciding -------------------------------------------------------------------

let decideTimer = null;
function scheduleDecide() {
  clearTimeout(decideTimer);
  decideTimer = setTimeout(decide, 150);
}

async function decideOne(c, whatIf) {
  let path = '/v1/decide?html=true';
  if (whatIf) path += '&what_if=' + encodeURIComponent(JSON.stringify(whatIf));
  if (uncertainCase()) path += '&simulate=' + simulationDraws() + '&seed=' + simulationSeed();
  const { data } = await api(path, { method: 'POST', body: JSON.stringify(c) });
  return data;
}

// The simulation fields, kept in the server's bounds (1 to 1,000,000 draws).
function simulationDraws() {
  const n = Math.round(Number($('sim-draws').value));
  return Number.isFinite(n) && n >= 1 ? Math.min(n, 1000000) : 2000;
}
function simulationSeed() {
  const s = Math.round(Number($('sim-seed').value));
  return Number.isFinite(s) && s >= 0 ? s : 1;
}

async function decide() {
  const seq = ++state.decideSeq;
  const c = currentCase();
  const whatIf = whatIfPayload();
  try {
    const moved = await decideOne(c, whatIf);
    const base = whatIf ? await decideOne(c, null) : null;
    if (seq !== state.decideSeq) return;  // a newer request answers
    $('decide-error').textContent = '';
    $('result').innerHTML = moved.html;
    $('result').dataset.verdict = moved.verdict;
    $('result').dataset.total = String(moved.total);
    $('result').dataset.decisionId = moved.decision_id;
    if (moved.simulation) $('result').dataset.draws = String(moved.simulation.draws);
    else delete $('result').dataset.draws;
    showChanges(base, moved);
  } catch (e) {
    if (seq !== state.decideSeq) return;
    const b = e.body && e.body.error;
    $('decide-error').textContent = b ? b.message : e.message;
    $('result').textContent = '';
    $('changes').hidden = true;
  }
}

// What the what-if changed: the verdict, the deciding rule, the total, and
// each criterion's weight and contribution.
function showChanges(base, moved) {
  const box = $('changes');
  box.textContent = '';
  if (!base) { box.hidden = true; return; }
  box.hidden = false;
  const same = base.verdict === moved.verdict;
  box.append(el('h3', { text: same ? 'What if: the verdict stays ' + moved.verdict
                                   : 'What if: the verdict changes from ' + base.verdict + ' to ' + moved.verdict }));
  box.dataset.before = base.verdict;
  box.dataset.after = moved.verdict;
  const p = el('p', {}, 'Weighted total ' + fmt(base.total) + ' → ' + fmt(moved.total) + ' (' + fmt(moved.total - base.total) + ').');
  if ((base.rule || null) !== (moved.rule || null))
    p.append(' Decided by ' + (base.rule || 'the vote') + ' → ' + (moved.rule || 'the vote') + '.');
  box.append(p);
  const table = el('table', { class: 'changed-criteria' },
    el('caption', { text: 'Criteria under the served policy and under the what-if' }),
    el('thead', {}, el('tr', {}, ...['criterion', 'weight', 'contribution', 'change'].map((h) => el('th', { scope: 'col', text: h, class: h === 'criterion' ? undefined : 'num' })))));
  const body = el('tbody');
  const names = new Set([...Object.keys(base.criteria || {}), ...Object.keys(moved.criteria || {})]);
  for (const n of names) {
    const b = (base.criteria || {})[n] || {};
    const m = (moved.criteria || {})[n] || {};
    const bc = typeof b.contribution === 'number' ? b.contribution : 0;
    const mc = typeof m.contribution === 'number' ? m.contribution : 0;
    body.append(el('tr', {}, el('th', { scope: 'row', text: n }),
      el('td', { class: 'num', text: (b.weight ?? 0).toFixed(2) + ' → ' + (m.weight ?? 0).toFixed(2) }),
      el('td', { class: 'num', text: fmt(bc) + ' → ' + fmt(mc) }),
      el('td', { class: 'num', text: fmt(mc - bc) })));
  }
  table.append(body);
  box.append(table);
}

// ---- many cases -------------------------------------------------------------------

function badge(verdict) {
  return el('span', { class: 'verdict v-' + verdict, text: verdict });
}

// "weight of control 0.25 → 0.65, insource threshold 0.20 → 0.25, cost vendor_overhead 0.2"
function describeWhatIf(w) {
  const parts = [];
  const served = servedWeights();
  for (const [c, v] of Object.entries(w.weights || {})) parts.push('weight of ' + c + ' ' + (served[c] || 0).toFixed(2) + ' → ' + v.toFixed(2));
  for (const [t, v] of Object.entries(w.thresholds || {})) parts.push(t + ' threshold ' + state.rules.thresholds[t].toFixed(2) + ' → ' + v.toFixed(2));
  for (const [c, ps] of Object.entries(w.params || {}))
    for (const [n, v] of Object.entries(ps)) parts.push(c + ' ' + n + ' ' + v);
  return parts.join(', ');
}

let batchTimer = null;
function scheduleBatch() {
  clearTimeout(batchTimer);
  batchTimer = setTimeout(runBatch, 250);
}

// The file as uploaded: JSON Lines, or CSV read by the server's CSV reader
// (the one `insource batch` uses), so that its error lines are the file's.
async function batchRecords(file, whatIf) {
  let path = '/v1/batch';
  if (whatIf) path += '?what_if=' + encodeURIComponent(JSON.stringify(whatIf));
  const { res } = await api(path, { method: 'POST', body: file.text, type: file.type, raw: true })
    .then((r) => ({ res: r }));
  const text = await res.text();
  return { text, records: text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)) };
}

async function runBatch() {
  if (!state.lastBatch) return;
  const whatIf = whatIfPayload();
  try {
    const base = await batchRecords(state.lastBatch, null);
    const { data } = await api('/v1/report', { method: 'POST', body: base.text, type: 'application/x-ndjson' });
    $('batch-error').textContent = '';
    $('batch-result').innerHTML = data.html;
    const changed = $('batch-changed');
    changed.textContent = '';
    if (!whatIf) {
      changed.append(el('p', { class: 'muted', text: 'Move a weight, threshold or parameter in the “What if” panel of the one-case view to see which of these cases would change verdict.' }));
      return;
    }
    changed.append(el('p', { class: 'what-if-now', text: 'What-if in force: ' + describeWhatIf(whatIf) + '.' }));
    const moved = await batchRecords(state.lastBatch, whatIf);
    const rows = [];
    base.records.forEach((b, i) => {
      const m = moved.records[i];
      if (!m || b.error || m.error || b.verdict === m.verdict) return;
      rows.push(el('tr', { 'data-case': b.id, 'data-before': b.verdict, 'data-after': m.verdict },
        el('th', { scope: 'row', text: b.id }), el('td', {}, badge(b.verdict)), el('td', {}, badge(m.verdict)),
        el('td', { class: 'num', text: fmt(b.total) + ' → ' + fmt(m.total) }),
        el('td', { text: (b.rule || 'vote') + (b.rule !== m.rule ? ' → ' + (m.rule || 'vote') : '') })));
    });
    const table = el('table', { class: 'verdict-changes', 'data-changed': rows.length },
      el('caption', { text: rows.length + ' of ' + base.records.length + ' cases change verdict under the what-if' }),
      el('thead', {}, el('tr', {}, ...['case', 'served policy', 'what-if', 'total', 'decided by'].map((h) => el('th', { scope: 'col', text: h, class: h === 'total' ? 'num' : undefined })))),
      el('tbody', {}, ...rows));
    changed.append(el('h3', { text: 'Cases whose verdict the what-if changes' }), table);
  } catch (e) {
    const b = e.body && e.body.error;
    $('batch-error').textContent = b ? b.message : e.message;
  }
}

async function loadBatchFile(file) {
  const text = await file.text();
  const csv = /\.csv$/i.test(file.name) || file.type === 'text/csv';
  state.lastBatch = { text, type: csv ? 'text/csv' : 'application/x-ndjson', name: file.name };
  await runBatch();
}

// ---- wiring -------------------------------------------------------------------------

function selectTab(which) {
  for (const t of ['case', 'batch']) {
    const on = t === which;
    $('tab-' + t).setAttribute('aria-selected', String(on));
    $('tab-' + t).tabIndex = on ? 0 : -1;
    $('view-' + t).hidden = !on;
  }
}

async function start() {
  for (const name of EXAMPLES) $('example').append(el('option', { value: name, text: name }));
  $('example').append(el('option', { value: '', text: '(my own case)' }));
  $('tab-case').addEventListener('click', () => selectTab('case'));
  $('tab-batch').addEventListener('click', () => selectTab('batch'));
  document.querySelector('.tabs').addEventListener('keydown', (ev) => {
    if (ev.key !== 'ArrowRight' && ev.key !== 'ArrowLeft') return;
    const next = $('tab-case').getAttribute('aria-selected') === 'true' ? 'batch' : 'case';
    selectTab(next);
    $('tab-' + next).focus();
  });
  $('token-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    state.token = $('token').value.trim() || null;
    $('token').value = '';
    $('token-form').hidden = true;
    await boot();
  });
  $('example').addEventListener('change', () => { if ($('example').value) loadExample($('example').value); });
  $('case-form').addEventListener('input', () => { $('example').value = ''; scheduleDecide(); });
  $('case-form').addEventListener('submit', (ev) => { ev.preventDefault(); scheduleDecide(); });
  $('simulation-fields').addEventListener('input', scheduleDecide);
  $('load-paste').addEventListener('click', async () => {
    $('paste-error').textContent = '';
    try {
      await loadCaseText($('paste').value);
      $('example').value = '';
    } catch (e) {
      const b = e.body && e.body.error;
      $('paste-error').textContent = b ? b.message : e.message;
    }
  });
  $('case-file').addEventListener('change', async () => {
    const f = $('case-file').files[0];
    if (f) { $('paste').value = await f.text(); $('load-paste').click(); }
  });
  $('reset-what-if').addEventListener('click', () => { buildWhatIfFields(); whatIfChanged(); });
  $('download-rules').addEventListener('click', downloadRules);
  $('batch-file').addEventListener('change', () => {
    const f = $('batch-file').files[0];
    if (f) loadBatchFile(f);
  });
  await boot();
}

async function boot() {
  try {
    await loadPolicy();
  } catch (e) {
    $('policy').textContent = e.status === 401 ? 'This server needs a bearer token.' : 'The policy could not be read: ' + e.message;
    return;
  }
  await loadExample($('example').value || EXAMPLES[0]);
  if (!state.following) { state.following = true; setTimeout(followReloads, 2000); }
}

document.addEventListener('DOMContentLoaded', start);
