// The --html page's own style and script (plain ES2017, no library: the page must open from disk with no
// network). The script reads the embedded run data (html.ts), draws the timeline and the memory chart on
// canvases, and renders the long lists a screenful at a time. Every text from the run goes in through
// textContent, never as markup.

export const PAGE_STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 16px 48px; color: #222; }
h1 { font-size: 20px; margin: 16px 0 4px; }
h2 { font-size: 16px; margin: 24px 0 8px; border-bottom: 1px solid #ddd; }
pre, .mono { font: 12px/1.35 ui-monospace, monospace; }
pre.closing { font-size: 16px; font-weight: bold; margin: 8px 0; }
.meta { color: #666; margin: 0; }
.bar label { margin-right: 14px; cursor: pointer; }
canvas { display: block; width: 100%; border: 1px solid #ddd; cursor: crosshair; }
.list { position: relative; height: 360px; overflow: auto; border: 1px solid #ddd; }
.list .row { position: absolute; left: 0; right: 0; height: 22px; line-height: 22px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; padding: 0 6px; cursor: pointer; font: 12px/22px ui-monospace, monospace; }
.list .row:nth-child(even) { background: #f7f7f7; }
.list .row:hover { background: #e8f0fe; }
.s-passed { color: #17803d; } .s-failed, .s-crashed { color: #c62828; } .s-timed-out, .s-over-memory { color: #b45309; } .s-not-run, .s-skipped { color: #777; }
.tag { display: inline-block; min-width: 92px; }
#details { position: sticky; bottom: 0; background: #fffef5; border: 1px solid #e0d890; max-height: 45vh; overflow: auto; padding: 6px 10px; display: none; }
#details pre { white-space: pre-wrap; margin: 4px 0; }
#details button { float: right; }
.failure { border-left: 3px solid #c62828; padding-left: 8px; margin: 8px 0; white-space: pre-wrap; }
.incident { margin: 6px 0; }
.legend span { margin-right: 12px; font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; }
`;

export const PAGE_SCRIPT = `
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('mtest-data').textContent);
  var E = D.examples;
  var N = E.file.length;
  var STATUS = ['passed', 'failed', 'skipped', 'notrun'];
  var OUTCOME = { timeout: 'timed out', crash: 'crashed', memory: 'over memory' };
  var COLOUR = { 'passed': '#2e9d57', 'failed': '#d32f2f', 'timed out': '#f08c00', 'crashed': '#7b1fa2', 'over memory': '#8d5524', 'skipped': '#bbb', 'not run': '#bbb' };
  function label(i) {
    var s = E.status[i];
    if (s === 3) return 'not run';
    if (s === 1 && OUTCOME[E.outcome[i]]) return OUTCOME[E.outcome[i]];
    return STATUS[s];
  }
  function cls(text) { return 's-' + text.replace(/ /g, '-'); }
  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function seconds(ms) { return ms < 1000 ? ms.toFixed(ms < 10 ? 1 : 0) + ' ms' : (ms / 1000).toFixed(2) + ' s'; }
  function where(i) { return D.files[E.file[i]].path + ', ' + E.where[i]; }

  var lanes = [];
  D.files.forEach(function (f) { if (f.lane >= 0 && lanes.indexOf(f.lane) < 0) lanes.push(f.lane); });
  D.memory.forEach(function (m) { if (lanes.indexOf(m.lane) < 0) lanes.push(m.lane); });
  lanes.sort(function (a, b) { return a - b; });
  function laneName(lane) { return lane === 0 ? (D.run.serial ? 'mtest (serial)' : 'not started') : 'worker ' + lane; }
  var body = document.body;

  // ---- summary ----
  var head = add(body, el('header'));
  add(head, el('h1', null, 'mtest run ' + D.run.id));
  add(head, el('p', 'meta', 'random seed ' + D.run.seed + ' · ' + D.run.time.toFixed(1) + ' s · ' + D.files.length + ' files · ' +
    (D.run.serial ? 'serial' : lanes.filter(function (l) { return l > 0; }).length + ' workers') + ' · exit status ' + D.run.exitBits));
  var closing = add(head, el('pre', 'closing', D.run.closing));
  closing.id = 'closing';

  // ---- filters ----
  var shown = { 'passed': true, 'failed': true, 'timed out': true, 'crashed': true, 'over memory': true, 'skipped': true, 'not run': true };
  var counts = {};
  for (var i = 0; i < N; i++) { var l = label(i); counts[l] = (counts[l] || 0) + 1; }
  var bar = add(body, el('div', 'bar'));
  bar.id = 'filters';
  add(bar, el('strong', null, 'Show: '));
  Object.keys(shown).forEach(function (name) {
    if (!counts[name]) return;
    var lab = add(bar, el('label', cls(name)));
    var box = add(lab, el('input'));
    box.type = 'checkbox';
    box.checked = true;
    box.dataset.status = name;
    box.addEventListener('change', function () { shown[name] = box.checked; refresh(); });
    add(lab, document.createTextNode(' ' + name + ' (' + counts[name] + ')'));
  });

  // ---- details panel ----
  var details = el('div');
  details.id = 'details';
  function showDetails(title, texts) {
    details.textContent = '';
    var close = add(details, el('button', null, 'close'));
    close.addEventListener('click', function () { details.style.display = 'none'; });
    add(details, el('strong', null, title));
    texts.forEach(function (t) { if (t) add(details, el('pre', null, t)); });
    details.style.display = 'block';
  }
  function incidentsOf(fileIndex, row) {
    return D.incidents.filter(function (inc) { return inc.file === fileIndex && (row === undefined || inc.example === row); });
  }
  function showExample(i) {
    var texts = ['[' + D.blocks[E.block[i]] + ']  ' + label(i) + (E.start[i] >= 0 ? ' after ' + seconds(E.start[i]) + ', ran ' + seconds(E.ms[i]) : '') +
      (E.grew[i] ? ', grew its process by ' + E.grew[i] + ' MB' : ''), E.source[i]];
    if (E.failure[i] >= 0) texts.push(D.failures[E.failure[i]].text);
    else incidentsOf(E.file[i], i).forEach(function (inc) { texts.push(inc.details); });
    showDetails(where(i), texts);
  }
  function showFile(f) {
    var file = D.files[f];
    var c = file.counts;
    var texts = [c.passed + ' passed, ' + c.failed + ' failed, ' + c.skipped + ' skipped' + (c.notrun ? ', ' + c.notrun + ' not run' : '') +
      (file.lane >= 0 ? ' · ' + laneName(file.lane) + ' · ' + seconds(Math.max(0, file.end - file.start)) : '') + (file.reason ? ' · ' + file.reason : '')];
    file.errors.forEach(function (e) { texts.push(e); });
    incidentsOf(f).forEach(function (inc) { texts.push(inc.details); });
    showDetails(file.path, texts);
  }

  // ---- timeline ----
  var total = Math.max(1, D.run.time * 1000);
  D.files.forEach(function (f) { if (f.end > total) total = f.end; });
  for (i = 0; i < N; i++) if (E.start[i] >= 0 && E.start[i] + E.ms[i] > total) total = E.start[i] + E.ms[i];
  var byLane = {};
  lanes.forEach(function (lane) { byLane[lane] = []; });
  for (i = 0; i < N; i++) {
    var lane = D.files[E.file[i]].lane;
    if (E.start[i] >= 0 && byLane[lane]) byLane[lane].push(i);
  }
  lanes.forEach(function (lane) { byLane[lane].sort(function (a, b) { return E.start[a] - E.start[b]; }); });
  add(body, el('h2', null, 'Timeline'));
  var legend = add(body, el('div', 'legend'));
  ['passed', 'failed', 'timed out', 'crashed', 'over memory'].forEach(function (name) {
    var s = add(legend, el('span'));
    add(s, el('i')).style.background = COLOUR[name];
    add(s, document.createTextNode(name));
  });
  var s2 = add(legend, el('span'));
  add(s2, el('i')).style.background = '#e3e7ee';
  add(s2, document.createTextNode('file'));
  add(legend, el('span', null, '▼ incident (hang, crash, kill) · click for details'));
  var LANE = 30, LABEL_W = 120;
  if (lanes.length === 0) add(body, el('p', 'meta', 'No timeline: this page was made from --json reports (mtest merge), which do not record when each example ran.'));
  var timeline = el('canvas');
  if (lanes.length > 0) add(body, timeline);
  timeline.id = 'timeline';
  /** A canvas sized for the device's pixels, cleared, its drawing context scaled back to CSS pixels. */
  function canvasContext(canvas, width, height, ratio) {
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    canvas.style.height = height + 'px';
    var g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = '12px sans-serif';
    return g;
  }
  function xOf(t, width) { return LABEL_W + (t / total) * (width - LABEL_W - 8); }
  function tOf(x, width) { return ((x - LABEL_W) / (width - LABEL_W - 8)) * total; }
  function drawTimeline() {
    var width = timeline.clientWidth || 1000;
    var ratio = window.devicePixelRatio || 1;
    var height = Math.max(1, lanes.length) * LANE + 22;
    var g = canvasContext(timeline, width, height, ratio);
    lanes.forEach(function (lane, k) {
      var y = k * LANE;
      g.fillStyle = '#333';
      g.fillText(laneName(lane), 4, y + 19);
      D.files.forEach(function (f) {
        if (f.lane !== lane || f.start < 0) return;
        var x0 = xOf(f.start, width), x1 = Math.max(x0 + 1, xOf(f.end, width));
        g.fillStyle = '#e3e7ee';
        g.fillRect(x0, y + 3, x1 - x0, LANE - 6);
        g.fillStyle = '#9aa5b8';
        g.fillRect(x0, y + 3, 1, LANE - 6);
      });
      // Failures drawn last, so that one among thousands of passes stays visible.
      [false, true].forEach(function (failing) {
        byLane[lane].forEach(function (r) {
          var l = label(r);
          if ((l !== 'passed') !== failing || !shown[l]) return;
          var x0 = xOf(E.start[r], width), x1 = Math.max(x0 + (failing ? 2 : 1), xOf(E.start[r] + E.ms[r], width));
          g.fillStyle = COLOUR[l];
          g.fillRect(x0, y + 8, x1 - x0, LANE - 16);
        });
      });
      D.incidents.forEach(function (inc) {
        if (D.files[inc.file].lane !== lane || inc.at < 0) return;
        var x = xOf(inc.at, width);
        g.fillStyle = '#000';
        g.beginPath();
        g.moveTo(x - 5, y + 1); g.lineTo(x + 5, y + 1); g.lineTo(x, y + 9);
        g.fill();
      });
    });
    var y = lanes.length * LANE;
    g.fillStyle = '#666';
    for (var t = 0; t <= 4; t++) {
      var ms = (total * t) / 4;
      var x = xOf(ms, width);
      g.fillRect(x, y, 1, 4);
      g.fillText(seconds(ms), Math.min(x, width - 60), y + 16);
    }
  }
  function hit(event) {
    var rect = timeline.getBoundingClientRect();
    var k = Math.floor((event.clientY - rect.top) / LANE);
    var lane = lanes[k];
    if (lane === undefined) return undefined;
    var width = timeline.clientWidth;
    var t = tOf(event.clientX - rect.left, width);
    var slack = (4 / width) * total;
    var inc = D.incidents.filter(function (x) { return D.files[x.file].lane === lane && x.at >= 0 && Math.abs(x.at - t) <= slack * 2; })[0];
    if (inc && inc.example >= 0) return { example: inc.example };
    if (inc) return { file: inc.file };
    var list = byLane[lane], lo = 0, hi = list.length - 1, best = -1;
    while (lo <= hi) { var mid = (lo + hi) >> 1; if (E.start[list[mid]] <= t + slack) { best = mid; lo = mid + 1; } else hi = mid - 1; }
    for (var j = best; j >= 0 && j > best - 3; j--) {
      var r = list[j];
      if (E.start[r] - slack <= t && t <= E.start[r] + E.ms[r] + slack && shown[label(r)]) return { example: r };
    }
    for (var f = 0; f < D.files.length; f++) {
      var file = D.files[f];
      if (file.lane === lane && file.start <= t && t <= file.end) return { file: f };
    }
    return undefined;
  }
  timeline.addEventListener('click', function (event) {
    var h = hit(event);
    if (h && h.example !== undefined) showExample(h.example);
    else if (h) showFile(h.file);
  });
  timeline.addEventListener('mousemove', function (event) {
    var h = hit(event);
    timeline.title = !h ? '' : h.example !== undefined ? where(h.example) + ': ' + label(h.example) : D.files[h.file].path;
  });

  // ---- memory ----
  add(body, el('h2', null, 'Memory'));
  var marked = [];
  for (i = 0; i < N; i++) if (E.grew[i] >= D.run.memoryMarkMB && E.start[i] >= 0) marked.push(i);
  marked.sort(function (a, b) { return E.grew[b] - E.grew[a]; });
  var memory;
  if (D.memory.length === 0) add(body, el('p', 'meta', 'No memory samples were recorded for this run.'));
  else {
    add(body, el('p', 'meta', 'Resident memory of each process over time (the time axis is the timeline\\'s); • an example that grew it by ' + D.run.memoryMarkMB + ' MB or more.'));
    memory = add(body, el('canvas'));
    memory.id = 'memory';
  }
  var peak = 1;
  D.memory.forEach(function (m) { m.rss.forEach(function (v) { if (v > peak) peak = v; }); });
  function drawMemory() {
    if (!memory) return;
    var width = memory.clientWidth || 1000, height = 160, ratio = window.devicePixelRatio || 1;
    var g = canvasContext(memory, width, height, ratio);
    var yOf = function (v) { return height - 14 - (v / peak) * (height - 28); };
    var palette = ['#1565c0', '#2e7d32', '#6a1b9a', '#ef6c00', '#00838f', '#ad1457'];
    D.memory.forEach(function (m, k) {
      g.strokeStyle = palette[k % palette.length];
      g.beginPath();
      m.t.forEach(function (t, j) { var x = xOf(t, width), y = yOf(m.rss[j]); if (j) g.lineTo(x, y); else g.moveTo(x, y); });
      g.stroke();
      g.fillStyle = g.strokeStyle;
      g.fillText(laneName(m.lane), 4, 14 + k * 14);
    });
    g.fillStyle = '#666';
    g.fillText((peak / 1048576).toFixed(0) + ' MB', width - 70, 12);
    marked.forEach(function (r) {
      var lane = D.files[E.file[r]].lane;
      var m = D.memory.filter(function (x) { return x.lane === lane; })[0];
      var end = E.start[r] + E.ms[r], v = 0;
      if (m) for (var j = 0; j < m.t.length; j++) { if (m.t[j] <= end + 600) v = m.rss[j]; }
      g.fillStyle = '#d32f2f';
      g.beginPath();
      g.arc(xOf(end, width), yOf(v), 4, 0, 7);
      g.fill();
    });
  }
  if (marked.length) {
    var grewList = add(body, el('div'));
    grewList.id = 'grew';
    marked.slice(0, 50).forEach(function (r) {
      var row = add(grewList, el('div', 'mono', '+' + E.grew[r] + ' MB  ' + where(r) + '  ' + E.source[r]));
      row.style.cursor = 'pointer';
      row.addEventListener('click', function () { showExample(r); });
    });
  }

  // ---- a list that renders only the rows in view ----
  function virtualList(id, rowText, rowClass, onClick) {
    var box = el('div', 'list');
    box.id = id;
    var inner = add(box, el('div'));
    var ROW = 22;
    var items = [];
    function render() {
      inner.textContent = '';
      inner.style.height = items.length * ROW + 'px';
      box.style.height = Math.min(360, items.length * ROW + 2) + 'px';
      var first = Math.max(0, Math.floor(box.scrollTop / ROW) - 5);
      var last = Math.min(items.length, first + Math.ceil((box.clientHeight || 360) / ROW) + 10);
      for (var k = first; k < last; k++) {
        var item = items[k];
        var row = add(inner, el('div', 'row ' + (rowClass ? rowClass(item) : ''), rowText(item)));
        row.style.top = k * ROW + 'px';
        row.dataset.item = String(item);
        row.addEventListener('click', onClick.bind(null, item));
      }
    }
    box.addEventListener('scroll', render);
    return { box: box, set: function (list) { items = list; render(); }, render: render };
  }

  // ---- files ----
  add(body, el('h2', null, 'Files (' + D.files.length + ')'));
  var fileList = virtualList('files', function (f) {
    var file = D.files[f], c = file.counts;
    return (file.reason ? '✗ ' : '✓ ') + file.path + '  [' + (c.passed + c.failed) + ' tests' + (c.failed ? ', ' + c.failed + ' failed' : '') +
      (c.notrun ? ', ' + c.notrun + ' not run' : '') + (file.start >= 0 ? ', ' + seconds(Math.max(0, file.end - file.start)) + ', ' + laneName(file.lane) : '') + ']' +
      (file.reason ? '  # ' + file.reason : '');
  }, function (f) { return D.files[f].reason ? 's-failed' : 's-passed'; }, showFile);
  add(body, fileList.box);
  fileList.set(D.files.map(function (_, f) { return f; }));

  // ---- incidents ----
  if (D.incidents.length) {
    add(body, el('h2', null, 'Hangs, crashes and kills (' + D.incidents.length + ')'));
    var incidentBox = add(body, el('div'));
    incidentBox.id = 'incidents';
    D.incidents.forEach(function (inc) {
      var name = inc.kind === 'timeout' || inc.kind === 'file-timeout' ? 'timed out' : inc.kind === 'crash' ? 'crashed' : inc.kind === 'memory' ? 'over memory' : 'killed (interrupted)';
      var d = add(incidentBox, el('details', 'incident'));
      var s = add(d, el('summary'));
      add(s, el('span', 'tag ' + cls(name), name));
      add(s, document.createTextNode(' ' + (inc.example >= 0 ? where(inc.example) : D.files[inc.file].path) + ': ' + inc.message));
      add(d, el('pre', null, inc.details));
    });
  }

  // ---- failures, a page at a time ----
  add(body, el('h2', null, 'Failures (' + D.failures.length + ')'));
  var failureBox = add(body, el('div'));
  failureBox.id = 'failures';
  var more = el('button', null, 'show more');
  var failuresShown = 0;
  function visibleFailures() { return D.failures.filter(function (f) { return shown[label(f.example)]; }); }
  function renderFailures(reset) {
    var list = visibleFailures();
    if (reset) { failureBox.textContent = ''; failuresShown = 0; }
    var upTo = Math.min(list.length, failuresShown + 50);
    for (var k = failuresShown; k < upTo; k++) add(failureBox, el('pre', 'failure', list[k].text));
    failuresShown = upTo;
    if (upTo < list.length) add(failureBox, more); else if (more.parentNode) more.parentNode.removeChild(more);
  }
  more.addEventListener('click', function () { more.parentNode.removeChild(more); renderFailures(false); });
  if (D.failures.length === 0) add(failureBox, el('p', 'meta', 'None.'));

  // ---- examples ----
  var exampleTitle = add(body, el('h2'));
  var exampleList = virtualList('examples', function (r) {
    return label(r).padEnd(12) + ' ' + where(r) + '  [' + D.blocks[E.block[r]] + ']  ' + E.source[r];
  }, function (r) { return cls(label(r)); }, showExample);
  add(body, exampleList.box);
  add(body, details);

  function refresh() {
    var rows = [];
    for (var r = 0; r < N; r++) if (shown[label(r)]) rows.push(r);
    exampleTitle.textContent = 'Examples (' + rows.length + ' of ' + N + ')';
    exampleList.set(rows);
    if (D.failures.length) renderFailures(true);
    drawTimeline();
  }
  refresh();
  drawMemory();
  window.addEventListener('resize', function () { drawTimeline(); drawMemory(); });
})();
`;
