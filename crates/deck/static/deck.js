// deck.js: progressive enhancement of server-rendered pages. Pages work without it.
// - keeps relative times current
// - refreshes the job list from the JSON API without a full reload
// - loads build logs in pages of lines, follows live logs, searches loaded lines
// Every string from the server is inserted with textContent (never as markup), except log
// lines, which the server renders already escaped.
"use strict";

(function () {
  const REFRESH_MS = 30000;

  function relative(then, now) {
    const secs = Math.floor((now - then) / 1000);
    if (secs < 0) return "just now";
    if (secs < 60) return secs + "s ago";
    if (secs < 3600) return Math.floor(secs / 60) + "m ago";
    if (secs < 86400) return Math.floor(secs / 3600) + "h ago";
    return Math.floor(secs / 86400) + "d ago";
  }

  function duration(secs) {
    secs = Math.max(0, secs);
    const h = Math.floor(secs / 3600), m = Math.floor((secs % 3600) / 60), s = secs % 60;
    if (h === 0 && m === 0) return s + "s";
    if (h === 0) return m + "m" + s + "s";
    return h + "h" + m + "m";
  }

  function absolute(date) {
    return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  }

  function updateTimes(root) {
    const now = Date.now();
    for (const el of (root || document).querySelectorAll("time[datetime]")) {
      const then = Date.parse(el.getAttribute("datetime"));
      if (!isNaN(then)) el.textContent = relative(then, now);
    }
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null && v !== "") node.setAttribute(k, v);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === "") continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function safeUrl(url) {
    if (!url) return "";
    const lower = url.trim().toLowerCase();
    if (lower.startsWith("https://") || lower.startsWith("http://")) return url;
    if (lower.startsWith("/") && !lower.startsWith("//")) return url;
    return "";
  }

  function link(url, text) {
    const safe = safeUrl(url);
    return safe ? el("a", { href: safe }, text) : document.createTextNode(text);
  }

  const ICONS = { success: "✔", failure: "✖", pending: "●", triggered: "○", scheduling: "○", aborted: "⊘", error: "⚠" };

  function stateBadge(state) {
    return el("span", { class: "state state-" + state },
      el("span", { "aria-hidden": "true" }, ICONS[state] || "?"), " " + state);
  }

  function row(job) {
    const links = job.links || {};
    const repo = job.org ? job.org + "/" + job.repo : "";
    const pulls = el("td");
    (job.pulls || []).forEach((p, i) => {
      if (i > 0) pulls.append(el("br"));
      pulls.append(link(i === 0 ? links.pull : p.link, "#" + p.number));
      if (p.title) pulls.append(" ", el("span", { class: "title" }, p.title));
      if (p.author) pulls.append(" ", el("span", { class: "sub" }, "by " + p.author));
    });
    const sha = job.pulls && job.pulls.length ? job.pulls[0].sha : (job.base_sha || "");
    const started = job.started || job.created;
    const startedCell = el("td");
    if (started) {
      const date = new Date(started);
      startedCell.append(el("time", { datetime: started, title: absolute(date) }, relative(date, Date.now())));
    }
    return el("tr", { class: "row-" + job.state },
      el("td", {}, stateBadge(job.state)),
      el("td", {}, el("a", { href: links.job_page }, job.job), el("div", { class: "sub" }, job.type)),
      el("td", {}, link(links.repo, repo), el("div", { class: "sub" }, job.base_ref || "")),
      pulls,
      el("td", { class: "mono" }, link(links.commit, sha.slice(0, 7))),
      startedCell,
      el("td", {}, job.duration_seconds === undefined ? "" : duration(job.duration_seconds)),
      el("td", { class: "links" }, el("a", { href: links.log }, "log"), " ", el("a", { href: links.history }, "history")));
  }

  let lastGeneration = null;

  async function refreshRows(tbody) {
    if (document.hidden) return;
    try {
      const response = await fetch(tbody.dataset.refresh, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const page = await response.json();
      if (page.generation === lastGeneration) { updateTimes(tbody); return; }
      lastGeneration = page.generation;
      const rows = page.items.map(row);
      if (rows.length === 0) {
        rows.push(el("tr", {}, el("td", { colspan: "8", class: "empty" }, "No job matches these filters.")));
      }
      tbody.replaceChildren(...rows);
      const summary = document.getElementById("summary");
      if (summary) {
        summary.textContent = page.total + " of " + page.unfiltered + " jobs match · page " + page.page + " of " + page.pages;
      }
    } catch (e) {
      // offline or restarting: keep the rows, try again later
    }
  }

  function setupFilterForm() {
    // leave empty filters out of the URL: /?state=failure rather than /?type=&state=failure&...
    for (const form of document.querySelectorAll("form.filters")) {
      form.addEventListener("submit", () => {
        for (const field of form.querySelectorAll("input, select")) {
          if (field.name && field.value === "") field.disabled = true;
        }
        setTimeout(() => { for (const field of form.querySelectorAll("[disabled]")) field.disabled = false; }, 0);
      });
    }
  }

  function setupJobList() {
    const tbody = document.getElementById("job-rows");
    if (!tbody || !tbody.dataset.refresh) return;
    setInterval(() => refreshRows(tbody), REFRESH_MS);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) refreshRows(tbody); });
  }

  // ---- build log -------------------------------------------------------------------------

  function setupLog() {
    const log = document.getElementById("log-lines");
    if (!log) return;
    const status = document.getElementById("log-status");
    const more = document.getElementById("log-more");
    const search = document.getElementById("log-search");
    const searchNext = document.getElementById("log-search-next");
    let next = log.dataset.next ? Number(log.dataset.next) : null;
    let line = Number(log.dataset.line || "1");
    let loading = false;

    function setStatus(text) { if (status) status.textContent = text; }

    async function loadMore() {
      if (loading || next === null) return;
      loading = true;
      setStatus("Loading…");
      try {
        const url = log.dataset.src + (log.dataset.src.includes("?") ? "&" : "?") + "offset=" + next + "&line=" + line;
        const response = await fetch(url);
        if (!response.ok) { setStatus("Could not load more of the log (" + response.status + ")."); return; }
        const chunk = await response.json();
        log.insertAdjacentHTML("beforeend", chunk.html);
        line = chunk.next_line;
        next = chunk.eof ? null : chunk.next_offset;
        setStatus(chunk.eof ? "End of log · " + (line - 1) + " lines" : "Showing " + (line - 1) + " lines · " + chunk.total_bytes + " bytes in all");
        if (more) more.hidden = next === null;
        jumpToHash();
        applySearch();
      } finally {
        loading = false;
      }
    }

    function jumpToHash() {
      const id = decodeURIComponent(location.hash.slice(1));
      if (!/^L\d+$/.test(id)) return;
      const target = document.getElementById(id);
      if (target) { target.scrollIntoView({ block: "center" }); }
      else if (next !== null && Number(id.slice(1)) >= line) { loadMore(); }
    }

    let hits = [];
    let current = -1;
    function applySearch() {
      if (!search) return;
      const needle = search.value.toLowerCase();
      for (const hit of hits) hit.classList.remove("hit", "current");
      hits = [];
      current = -1;
      if (!needle) { setSearchStatus(""); return; }
      for (const l of log.querySelectorAll(".l")) {
        if (l.textContent.toLowerCase().includes(needle)) { l.classList.add("hit"); hits.push(l); }
      }
      setSearchStatus(hits.length + " matching lines loaded");
    }
    function setSearchStatus(text) {
      const s = document.getElementById("log-search-status");
      if (s) s.textContent = text;
    }
    function nextHit() {
      if (hits.length === 0) return;
      if (current >= 0) hits[current].classList.remove("current");
      current = (current + 1) % hits.length;
      hits[current].classList.add("current");
      hits[current].scrollIntoView({ block: "center" });
      setSearchStatus("match " + (current + 1) + " of " + hits.length + " loaded");
    }

    if (more) more.addEventListener("click", loadMore);
    if (search) {
      let timer = null;
      search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(applySearch, 150); });
      search.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); nextHit(); } });
    }
    if (searchNext) searchNext.addEventListener("click", nextHit);
    window.addEventListener("hashchange", jumpToHash);
    if ("IntersectionObserver" in window && more) {
      new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting)) loadMore();
      }, { rootMargin: "400px" }).observe(more);
    }
    if (log.dataset.live) followLive(log, setStatus);
    else if (next !== null && log.children.length === 0) loadMore();
    else jumpToHash();
  }

  async function followLive(log, setStatus) {
    let line = 1;
    let pending = "";
    setStatus("Following the live log…");
    try {
      const response = await fetch(log.dataset.live);
      if (!response.ok || !response.body) { setStatus("The live log is not available (" + response.status + ")."); return; }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += decoder.decode(value, { stream: true });
        const parts = pending.split("\n");
        pending = parts.pop();
        const follow = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
        for (const text of parts) { log.append(plainLine(line++, text)); }
        if (follow) window.scrollTo(0, document.body.scrollHeight);
      }
      if (pending) log.append(plainLine(line++, pending));
      setStatus("The live log ended · " + (line - 1) + " lines. Reload for the archived log.");
    } catch (e) {
      setStatus("The live log stream broke; reload to resume.");
    }
  }

  function plainLine(n, text) {
    // live lines: ANSI escapes removed, text inserted as text
    const clean = text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
    return el("div", { class: "l", id: "L" + n }, el("a", { class: "n", href: "#L" + n }, String(n)), el("span", { class: "t" }, clean));
  }

  document.addEventListener("DOMContentLoaded", () => {
    updateTimes();
    setInterval(() => updateTimes(), REFRESH_MS);
    setupFilterForm();
    setupJobList();
    setupLog();
  });
})();
