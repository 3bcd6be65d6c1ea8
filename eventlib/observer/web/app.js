// eventlib observer web view: applies the server's event stream to the page.
// Every value from the program is inserted with textContent, never as HTML.
"use strict";
(function () {
  const KEEP = 300; // samples kept in the charts (5 minutes at one a second)
  const pages = new Map(); // supervisor proc id -> page shown
  const sups = new Map(); // supervisor key -> {details, summary, tbody, subs, pager, row}
  const childRows = new Map(); // child key -> tr
  let csrf = null;
  let actions = false;
  let source = null;
  let charts = null;

  function el(tag, props, children) {
    const node = document.createElement(tag);
    if (props) for (const [key, value] of Object.entries(props)) {
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.startsWith("data-")) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  function flash(node) {
    node.classList.remove("changed");
    void node.offsetWidth; // restart the animation
    node.classList.add("changed");
  }

  // -- charts -------------------------------------------------------------------
  function clock(seconds) {
    return new Date(seconds * 1000).toTimeString().slice(0, 8);
  }

  function makeChart(target, series) {
    const width = Math.max(200, target.clientWidth || 300);
    const opts = {
      width, height: 150, legend: { show: true, live: false },
      scales: { x: { time: true } },
      axes: [{ values: (u, splits) => splits.map(clock) }, { size: 45 }],
      series: [{}].concat(series.map(([label, stroke]) => ({ label, stroke, width: 1.5 }))),
    };
    const data = [[]].concat(series.map(() => []));
    return { plot: new uPlot(opts, data, target), data };
  }

  function initCharts() {
    charts = {
      rates: makeChart(document.getElementById("chart-rates"),
        [["restarts/s", "#c62828"], ["spawns/s", "#3a6ea5"]]),
      exits: makeChart(document.getElementById("chart-exits"),
        [["normal", "#2e7d32"], ["killed", "#b26a00"], ["error", "#c62828"]]),
      lag: makeChart(document.getElementById("chart-lag"),
        [["lag ms", "#6a1b9a"], ["blocking episodes", "#c62828"]]),
      mailbox: makeChart(document.getElementById("chart-mailbox"), [["depth", "#00838f"]]),
    };
  }

  function addSample(s) {
    const values = {
      rates: [s.restarts, s.spawns],
      exits: [s.exits.normal, s.exits.killed, s.exits.error],
      lag: [s.lag * 1000, s.blocks],
      mailbox: [s.deepest],
    };
    for (const [name, chart] of Object.entries(charts)) {
      chart.data[0].push(s.at);
      values[name].forEach((v, i) => chart.data[i + 1].push(v));
      if (chart.data[0].length > KEEP) chart.data.forEach((column) => column.shift());
    }
  }

  function redrawCharts() {
    for (const chart of Object.values(charts)) chart.plot.setData(chart.data);
  }

  // -- the tree -------------------------------------------------------------------
  function procButton(procId) {
    if (procId === null || procId === undefined) return document.createTextNode("-");
    const button = el("button", { type: "button", class: "link proc", text: String(procId) });
    button.addEventListener("click", () => showProc(procId));
    return button;
  }

  function actionButton(label, path, body) {
    const button = el("button", { type: "button", class: "act", text: label });
    button.addEventListener("click", () => act(path, body));
    return button;
  }

  function supervisorNode(row) {
    const summary = el("summary");
    const pager = el("div", { class: "pager" });
    const tbody = el("tbody");
    const table = el("table", { class: "children" }, [
      el("thead", {}, [el("tr", {}, ["child", "state", "restarts", "proc", "type", ""].map(
        (h) => el("th", { text: h })))]),
      tbody,
    ]);
    const subs = el("div", { class: "subs" });
    const details = el("details", { class: "sup", open: true, "data-path": row.path },
      [summary, pager, table, subs]);
    return { details, summary, tbody, subs, pager, row: null };
  }

  function fillSupervisor(node, row) {
    const changed = node.row && node.row.restarts !== row.restarts;
    node.row = row;
    node.details.dataset.restarts = row.restarts;
    const counts = el("span", { class: "counts" }, Object.entries(row.counts)
      .filter(([, n]) => n > 0).map(([state, n]) => el("span",
        { class: "state-" + state, text: n + " " + state })));
    node.summary.replaceChildren(
      el("span", { class: "path", text: row.path }), " ",
      el("span", { class: "meta", text: "[" + row.class + " " + row.strategy + " proc=" }),
      procButton(row.proc_id),
      el("span", { class: "meta", text: " " + row.state + " restarts=" + row.restarts
        + (row.child_restarts ? " child restarts=" + row.child_restarts : "") + "] " }),
      el("span", { class: "meta", text: row.children + " children: " }), counts);
    if (changed) flash(node.summary);
    if (row.pages > 1) {
      const prev = el("button", { type: "button", text: "‹ prev", disabled: row.page === 0 });
      const next = el("button", { type: "button", text: "next ›",
        disabled: row.page >= row.pages - 1 });
      prev.addEventListener("click", () => setPage(row.proc_id, row.page - 1));
      next.addEventListener("click", () => setPage(row.proc_id, row.page + 1));
      node.pager.replaceChildren(prev, " page " + (row.page + 1) + " of " + row.pages + " ",
        next);
    } else {
      node.pager.replaceChildren();
    }
  }

  function placeSupervisor(node) {
    const parentPath = node.row.parent_path;
    let parent = null;
    if (parentPath) for (const other of sups.values()) {
      if (other.row && other.row.path === parentPath) parent = other.subs;
    }
    const target = parent || document.getElementById("tree");
    if (node.details.parentNode !== target) target.append(node.details);
  }

  function fillChild(tr, row, fresh) {
    tr.dataset.restarts = row.restarts;
    tr.dataset.state = row.state;
    const cells = [
      el("td", { class: "label", text: row.label, title: row.label }),
      el("td", { class: "state state-" + row.state, text: row.state }),
      el("td", { class: "restarts", text: String(row.restarts) }),
      el("td", { class: "proc" }, [procButton(row.proc_id)]),
      el("td", { class: "type", text: row.type + " " + row.restart }),
      el("td", { class: "actions" }),
    ];
    if (actions) {
      const sup = sups.get(row.sup);
      if (row.proc_id !== null) cells[5].append(actionButton("kill", "kill", "proc=" + row.proc_id));
      if (sup && sup.row && !sup.row.dynamic) {
        cells[5].append(" ", actionButton("restart", "restart",
          "sup=" + sup.row.proc_id + "&child=" + encodeURIComponent(row.id)));
      }
    }
    tr.replaceChildren(...cells);
    if (!fresh) flash(tr); // the server sends a row only when it changed
  }

  function applyTree(frame) {
    if (frame.reset) {
      document.getElementById("tree").replaceChildren();
      sups.clear();
      childRows.clear();
    }
    for (const key of frame.remove) {
      if (childRows.has(key)) { childRows.get(key).remove(); childRows.delete(key); }
      if (sups.has(key)) { sups.get(key).details.remove(); sups.delete(key); }
    }
    const supRows = frame.upsert.filter((r) => r.kind === "supervisor");
    supRows.sort((a, b) => a.path.localeCompare(b.path));
    for (const row of supRows) {
      let node = sups.get(row.key);
      if (!node) { node = supervisorNode(row); sups.set(row.key, node); }
      fillSupervisor(node, row);
    }
    for (const node of sups.values()) placeSupervisor(node);
    for (const row of frame.upsert) {
      if (row.kind !== "child") continue;
      const sup = sups.get(row.sup);
      if (!sup) continue;
      let tr = childRows.get(row.key);
      const fresh = !tr;
      if (fresh) {
        tr = el("tr", { "data-key": row.key, "data-label": row.label });
        childRows.set(row.key, tr);
        sup.tbody.append(tr);
      }
      fillChild(tr, row, fresh || frame.reset);
    }
  }

  function applyTables(frame) {
    document.getElementById("procs").textContent = frame.procs + " procs";
    const busiest = document.querySelector("#busiest tbody");
    busiest.replaceChildren(...frame.busiest.map((p) => el("tr", {}, [
      el("td", {}, [procButton(p.proc_id)]), el("td", { text: p.name }),
      el("td", { text: p.cpu.toFixed(4) }), el("td", { text: String(p.switches) })])));
    const deepest = document.querySelector("#deepest tbody");
    deepest.replaceChildren(...frame.deepest.map((a) => el("tr", {}, [
      el("td", {}, [procButton(a.proc_id)]), el("td", { text: a.name }),
      el("td", { text: String(a.depth) })])));
  }

  // -- details and actions ------------------------------------------------------
  async function showProc(procId) {
    const panel = document.getElementById("details");
    const response = await fetch("/api/proc?id=" + encodeURIComponent(procId),
      { credentials: "same-origin" });
    const data = await response.json();
    panel.hidden = false;
    document.getElementById("details-id").textContent = String(procId);
    const fields = document.getElementById("details-fields");
    if (!response.ok) {
      fields.replaceChildren(el("dt", { text: "error" }), el("dd", { text: data.error }));
      document.getElementById("details-stack").textContent = "";
      return;
    }
    const rows = [["name", data.name], ["state", data.state], ["parent", data.parent_id],
      ["supervisor path", data.sup_path], ["links", data.links.join(", ") || "none"],
      ["mailbox", data.mailbox ? data.mailbox.depth + " / " + (data.mailbox.capacity ?? "unbounded") : "-"],
      ["cpu s", data.cpu === null ? "profiling off" : data.cpu.toFixed(4)],
      ["switches", data.switches ?? "-"]];
    fields.replaceChildren(...rows.flatMap(([k, v]) => [el("dt", { text: k }),
      el("dd", { text: v === null || v === undefined ? "-" : String(v) })]));
    document.getElementById("details-stack").textContent = data.parked_at;
  }

  async function act(path, body) {
    const response = await fetch("/api/action/" + path, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body,
    });
    const data = await response.json();
    if (!data.ok) window.alert(data.error || "refused");
  }

  // -- the stream ---------------------------------------------------------------
  function setPage(supId, page) {
    pages.set(supId, Math.max(0, page));
    connect();
  }

  function connect() {
    if (source) source.close();
    const query = [...pages].map(([sup, page]) => "page=" + sup + ":" + page).join("&");
    source = new EventSource("/events" + (query ? "?" + query : ""));
    const status = document.getElementById("status");
    source.addEventListener("open", () => { status.textContent = "live"; status.className = "status live"; });
    source.addEventListener("error", () => {
      const closed = source.readyState === EventSource.CLOSED;
      status.textContent = closed ? "disconnected (log in again)" : "reconnecting…";
      status.className = "status down";
    });
    source.addEventListener("hello", (event) => {
      const hello = JSON.parse(event.data);
      csrf = hello.csrf;
      actions = hello.actions;
      document.getElementById("pid").textContent = "pid " + hello.pid;
      document.getElementById("mode").textContent = actions ? "actions on" : "read-only";
      if (!charts) initCharts();
      for (const chart of Object.values(charts)) chart.data.forEach((column) => { column.length = 0; });
      hello.history.forEach(addSample);
      redrawCharts();
    });
    source.addEventListener("frame", (event) => {
      const frame = JSON.parse(event.data);
      applyTree(frame);
      applyTables(frame);
      document.getElementById("busiest-off").hidden = frame.busiest.length > 0;
      if (frame.sample) { addSample(frame.sample); redrawCharts(); }
    });
  }

  document.getElementById("details-close").addEventListener("click", () => {
    document.getElementById("details").hidden = true;
  });
  connect();
})();
