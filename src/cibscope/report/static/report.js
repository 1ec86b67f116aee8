/* cibscope report: draws plots and builds paginated tables from JSON embedded in the page.
 * Safety: data never goes through innerHTML; every cell is built with textContent, and links
 * only ever point at the report's own account pages (checked against PAGE_RE). */
(function () {
  'use strict';
  var PAGE_RE = /^a-[0-9a-f]{16}\.html$/;
  var ROOT = document.body.getAttribute('data-root') || '';

  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    return JSON.parse(el.textContent);
  }
  function pageHref(page) {
    return (typeof page === 'string' && PAGE_RE.test(page)) ? ROOT + 'accounts/' + page : null;
  }
  function fmt(v, type) {
    if (v === null || v === undefined || v === '') { return '–'; }
    if (type === 'int') { return Number(v).toLocaleString('en-US'); }
    if (type === 'float') { return Number(v).toLocaleString('en-US', {maximumFractionDigits: 3}); }
    if (type === 'score') { return Number(v).toFixed(2); }
    if (type === 'bool') { return v ? 'yes' : 'no'; }
    if (typeof v === 'object') { return JSON.stringify(v); }
    return String(v);
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  var VERDICT_CLASS = {strong: 'v-strong', moderate: 'v-moderate', weak: 'v-weak', none: 'v-none', no_evidence: 'v-none',
    supported: 'c-supported', contradicted: 'c-contradicted', not_testable: 'c-untestable', untestable: 'c-untestable'};
  function badgeClass(v) {
    var k = String(v).toLowerCase().replace(/[^a-z]+/g, '_').replace(/^_|_$/g, '');
    if (k.indexOf('no_') === 0 && k.indexOf('evidence') >= 0) { k = 'none'; }
    if (k.indexOf('not_testable') === 0) { k = 'not_testable'; }
    return VERDICT_CLASS[k] || '';
  }

  /* ---------- plots ---------- */
  var OFFLINE = {showSendToCloud: false, showEditInChartStudio: false, plotlyServerURL: '', showLink: false,
    sendData: false, linkText: '', displaylogo: false, showTips: false, typesetMath: false};
  function drawFig(box) {
    if (box.getAttribute('data-drawn')) { return; }
    box.setAttribute('data-drawn', '1');
    var spec = readJSON(box.getAttribute('data-fig'));
    box.textContent = '';
    if (typeof Plotly === 'undefined') {
      box.appendChild(el('div', 'loading', 'Plot library not loaded (assets/plotly.min.js missing).'));
      return;
    }
    var config = {displaylogo: false, responsive: true, displayModeBar: 'hover',
      modeBarButtonsToRemove: ['select2d', 'lasso2d', 'toImage', 'toggleSpikelines', 'hoverClosestCartesian',
        'hoverCompareCartesian', 'sendDataToCloud', 'sendChartToCloud', 'editInChartStudio', 'autoScale2d']};
    var extra = spec.config || {};
    Object.keys(extra).forEach(function (k) { config[k] = extra[k]; });
    // Nothing leaves the machine: every control that uploads the chart (and the data in it,
    // account names included) or links out is off, whatever a figure spec asks for. plotly.js
    // 4 shows a "Share chart" button by default and posts the chart to plotlyServerURL.
    Object.keys(OFFLINE).forEach(function (k) { config[k] = OFFLINE[k]; });
    Plotly.newPlot(box, spec.data, spec.layout, config).then(function () {
      if (box.getAttribute('data-kind') === 'network') {
        box.on('plotly_click', function (ev) {
          var p = ev && ev.points && ev.points[0];
          if (!p || !p.data || p.data.meta !== 'nodes') { return; }
          var href = pageHref(p.customdata);
          if (href) { window.location.href = href; }
        });
      }
    });
  }
  function setupPlots() {
    var boxes = Array.prototype.slice.call(document.querySelectorAll('[data-fig]'));
    if (!('IntersectionObserver' in window)) { boxes.forEach(drawFig); return; }
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (e.isIntersecting) { io.unobserve(e.target); drawFig(e.target); }
      });
    }, {rootMargin: '400px 0px'});
    boxes.forEach(function (b) { io.observe(b); });
  }

  /* ---------- tables ---------- */
  function cell(row, col) {
    var td = el('td');
    var v = row[col.key];
    if (col.type === 'int' || col.type === 'float' || col.type === 'score') { td.className = 'r nowrap'; }
    if (col.type === 'account') {
      var label = row[col.label_key] || v;
      var href = pageHref(row[col.page_key]);
      var node = href ? el('a', null, '@' + fmt(label)) : el('span', null, '@' + fmt(label));
      if (href) { node.setAttribute('href', href); }
      setLang(node, row[col.lang_key]);
      td.appendChild(node);
      var sub = col.sub_key ? row[col.sub_key] : null;
      if (sub !== null && sub !== undefined && sub !== '' && sub !== label) {
        var name = el('span', 'dname', String(sub));
        setLang(name, row[col.sub_lang_key]);
        td.appendChild(name);
      }
      td.className = 'wrap';
    } else if (col.type === 'score') {
      var bar = el('span', 'scorebar');
      var fill = el('i');
      fill.style.width = Math.max(0, Math.min(100, Number(v) * 100)) + '%';
      bar.appendChild(fill);
      td.appendChild(bar);
      td.appendChild(document.createTextNode(fmt(v, 'score')));
    } else if (col.type === 'badge') {
      if (v !== null && v !== undefined) { td.appendChild(el('span', 'badge ' + badgeClass(v), fmt(v))); }
    } else {
      td.textContent = fmt(v, col.type);
      if (col.type === 'text') { td.className = 'wrap'; }
      if (col.type === 'mono') { td.className = 'mono'; }
      if (col.type === 'nowrap' || col.type === 'bool') { td.className = 'nowrap'; }
      if (col.lang_key) { setLang(td, row[col.lang_key]); }
    }
    return td;
  }
  /* the language of a text from the data (report/lang.py); "" = unknown, not the page's English */
  var LANG_RE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;
  function setLang(node, lang) {
    if (lang === undefined || lang === null) { return; }
    node.setAttribute('lang', LANG_RE.test(String(lang)) ? String(lang) : '');
  }
  function setupTable(host) {
    var spec = readJSON(host.getAttribute('data-table'));
    var pageSize = Number(host.getAttribute('data-page-size') || 25);
    var cols = spec.columns, all = spec.rows, rows = all, page = 0, sortKey = null, sortDir = 1;
    var tools = el('div', 'tools');
    var search = el('input');
    search.setAttribute('type', 'search');
    search.setAttribute('placeholder', 'Filter ' + all.length.toLocaleString('en-US') + ' rows…');
    search.setAttribute('aria-label', 'filter rows');
    tools.appendChild(search);
    var table = el('table'), thead = el('thead'), tbody = el('tbody'), hr = el('tr');
    cols.forEach(function (c) {
      var th = el('th', 'sortable' + ((c.type === 'int' || c.type === 'float' || c.type === 'score') ? ' r' : ''), c.title);
      th.addEventListener('click', function () {
        if (sortKey === c.key) { sortDir = -sortDir; } else { sortKey = c.key; sortDir = (c.type === 'text' || c.type === 'account') ? 1 : -1; }
        apply();
      });
      hr.appendChild(th);
    });
    thead.appendChild(hr); table.appendChild(thead); table.appendChild(tbody);
    var pager = el('div', 'pager'), info = el('span'), prev = el('button', null, '‹ Prev'), next = el('button', null, 'Next ›');
    prev.setAttribute('type', 'button'); next.setAttribute('type', 'button');
    pager.appendChild(info); pager.appendChild(prev); pager.appendChild(next);
    host.textContent = '';
    host.appendChild(tools); host.appendChild(table); host.appendChild(pager);
    function apply() {
      var q = search.value.trim().toLowerCase();
      rows = !q ? all.slice() : all.filter(function (r) {
        return cols.some(function (c) {
          return [r[c.label_key || c.key], c.sub_key ? r[c.sub_key] : null].some(function (v) {
            return v !== null && v !== undefined && String(v).toLowerCase().indexOf(q) >= 0;
          });
        });
      });
      if (sortKey) {
        rows.sort(function (a, b) {
          var x = a[sortKey], y = b[sortKey];
          if (x === y) { return 0; }
          if (x === null || x === undefined) { return 1; }
          if (y === null || y === undefined) { return -1; }
          return (x < y ? -1 : 1) * sortDir;
        });
      }
      page = 0; render();
    }
    function render() {
      var n = rows.length, pages = Math.max(1, Math.ceil(n / pageSize));
      page = Math.max(0, Math.min(page, pages - 1));
      tbody.textContent = '';
      rows.slice(page * pageSize, (page + 1) * pageSize).forEach(function (r) {
        var tr = el('tr');
        cols.forEach(function (c) { tr.appendChild(cell(r, c)); });
        tbody.appendChild(tr);
      });
      var from = n ? page * pageSize + 1 : 0, to = Math.min(n, (page + 1) * pageSize);
      info.textContent = from.toLocaleString('en-US') + '–' + to.toLocaleString('en-US') + ' of ' + n.toLocaleString('en-US');
      prev.disabled = page === 0; next.disabled = page >= pages - 1;
    }
    prev.addEventListener('click', function () { page -= 1; render(); });
    next.addEventListener('click', function () { page += 1; render(); });
    search.addEventListener('input', apply);
    apply();
  }

  /* A link or URL fragment to a collapsed group card opens it. */
  function openTarget() {
    var id = window.location.hash.slice(1);
    var t = id ? document.getElementById(id) : null;
    if (t && t.tagName === 'DETAILS') { t.open = true; }
  }

  /* A link to a collapsed card (a claim's rows, a group) opens it, also when the URL already
   * ends with its fragment (no hashchange then). */
  function setupOpeners() {
    Array.prototype.slice.call(document.querySelectorAll('a[data-open]')).forEach(function (a) {
      a.addEventListener('click', function () {
        var t = document.getElementById(a.getAttribute('data-open'));
        if (t && t.tagName === 'DETAILS') { t.open = true; }
      });
    });
  }

  function start() {
    window.addEventListener('hashchange', openTarget);
    openTarget();
    setupOpeners();
    Array.prototype.slice.call(document.querySelectorAll('[data-table]')).forEach(setupTable);
    setupPlots();
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();
