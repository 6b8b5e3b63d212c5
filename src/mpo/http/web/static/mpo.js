// mpo web pages: progressive enhancement only (every page works without this script).
// Shipped inside the package; no inline script anywhere (the CSP forbids it).
"use strict";

function signinFromLink() {
  // A one-time link carries its code after '#', which no server ever sees; move it into
  // the form, wipe it from the address bar and history, and sign in.
  const match = /^#link=([A-Za-z0-9_\-]+)$/.exec(window.location.hash);
  if (!match) return;
  history.replaceState(null, "", window.location.pathname);
  document.getElementById("link").value = match[1];
  document.getElementById("signin").submit();
}

function typing(target) {
  return target && ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName)
    && target.type !== "checkbox";
}

function queuePage() {
  const list = document.getElementById("queue-list");
  const form = document.getElementById("decide");
  let current = 0;
  const rows = () => Array.from(list.querySelectorAll("tr.row"));
  const show = () => {
    rows().forEach((r, i) => r.classList.toggle("current", i === current));
    const row = rows()[current];
    if (row) row.scrollIntoView({block: "nearest"});
  };
  const move = (by) => {
    const n = rows().length;
    if (!n) return;
    current = Math.max(0, Math.min(n - 1, current + by));
    show();
  };
  const box = (row) => row && row.querySelector("input[type=checkbox]");
  const chooseCurrent = () => {
    if (!form.querySelector("input[name=task]:checked") && box(rows()[current])) {
      box(rows()[current]).checked = true;
    }
  };
  const click = (id) => { const b = document.getElementById(id); if (b) b.click(); };

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target)) {
      if (e.key === "Escape") e.target.blur();
      if (e.key === "Enter" && ["note", "reason_code"].includes(e.target.id)) {
        e.preventDefault();
        click("reject");
      }
      return;
    }
    switch (e.key) {
      case "j": case "ArrowDown": move(1); break;
      case "k": case "ArrowUp": move(-1); break;
      case " ": {
        const b = box(rows()[current]);
        if (b) b.checked = !b.checked;
        move(1);
        break;
      }
      case "a": chooseCurrent(); click("approve"); break;
      case "r": {
        chooseCurrent();
        const reason = document.getElementById("reason_code");
        if (reason) reason.focus();
        break;
      }
      case "*": {  // select every task shown; if all are, clear the selection
        const boxes = Array.from(list.querySelectorAll("input[name=task]"));
        const all = boxes.every((b) => b.checked);
        boxes.forEach((b) => { b.checked = !all; });
        break;
      }
      case "g": {  // the next grouping
        const group = document.getElementById("group");
        if (!group) break;
        group.selectedIndex = (group.selectedIndex + 1) % group.options.length;
        document.getElementById("filters").submit();
        break;
      }
      case "u": click("undo-button"); break;
      case "/": { const q = document.getElementById("q"); if (q) q.focus(); break; }
      default: return;
    }
    e.preventDefault();
  });

  // New proposals (and others' decisions) appear without a reload: on each event of the
  // stream, read the list again, keeping the marks and the highlighted row.
  let pending = null;
  const refresh = async () => {
    pending = null;
    const marked = new Set(Array.from(form.querySelectorAll("input[name=task]:checked"))
      .map((b) => b.value));
    const response = await fetch(list.dataset.live, {credentials: "same-origin"});
    if (!response.ok) return;
    list.innerHTML = await response.text();
    list.querySelectorAll("input[name=task]").forEach((b) => { b.checked = marked.has(b.value); });
    const total = list.querySelector("[data-total]");
    if (total) document.getElementById("total").textContent = total.dataset.total;
    move(0);
  };
  if (window.EventSource) {
    const source = new EventSource("/web/events");
    source.onmessage = () => { if (!pending) pending = setTimeout(refresh, 150); };
  }
  show();
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  if (page === "signin") {
    signinFromLink();
    window.addEventListener("hashchange", signinFromLink);
  }
  if (page === "queue") queuePage();
});
