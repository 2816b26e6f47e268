// Care: keyboard shortcuts, SLA countdowns, the inbox's live refresh and bulk selection, and the
// conversation's reply box. The pages work with htmx alone; this makes them quick to drive.
(() => {
  "use strict";
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

  const typing = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  const openDialog = () => $$("dialog").find((d) => d.open);

  // --- SLA countdowns -----------------------------------------------------------------------------
  const WORDS = { left: "{span} left", overdue: "overdue {span}", minutes: "{n}m", hours: "{n}h", days: "{n}d" };
  const words = () => ({ ...WORDS, ...($("#sla-words") || { dataset: {} }).dataset });
  const span = (ms, w) => {
    const unit = (pattern, n) => pattern.replace("{n}", n);
    const minutes = Math.floor(Math.abs(ms) / 60000);
    if (minutes < 60) return unit(w.minutes, minutes);
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return `${unit(w.hours, hours)} ${unit(w.minutes, minutes % 60)}`;
    return `${unit(w.days, Math.floor(hours / 24))} ${unit(w.hours, hours % 24)}`;
  };
  const tick = () => {
    const now = Date.now();
    const w = words();
    for (const el of $$("time.sla[data-due]")) {
      const left = Date.parse(el.dataset.due) - now;
      if (Number.isNaN(left)) continue;
      el.textContent = `⏱ ${(left >= 0 ? w.left : w.overdue).replace("{span}", span(left, w))}`;
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 3600000);
    }
  };

  // --- help and dialogs -----------------------------------------------------------------------------
  const showHelp = () => { const d = $("#shortcuts"); if (d && !d.open) d.showModal(); };
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-shortcuts]")) showHelp();
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
  });

  // --- the inbox ------------------------------------------------------------------------------------
  function inbox(root) {
    const rowsEl = () => $("#case-rows");
    const rows = () => $$("#case-rows > .case-row");
    const selected = () => $("#case-rows > .case-row.selected");
    const checked = () => $$("#case-rows .case-check:checked");

    const select = (row) => {
      if (!row) return;
      for (const other of rows()) { other.classList.remove("selected"); other.setAttribute("aria-selected", "false"); }
      row.classList.add("selected");
      row.setAttribute("aria-selected", "true");
      row.scrollIntoView({ block: "nearest" });
    };
    const move = (step) => {
      const all = rows();
      if (!all.length) return;
      const index = all.indexOf(selected());
      select(all[Math.min(all.length - 1, Math.max(0, index < 0 ? 0 : index + step))]);
    };
    const updateCount = () => {
      const count = $("#bulk-count");
      if (count) count.textContent = checked().length ? `${checked().length} selected` : "Select";
    };
    const ensureTicked = () => {
      if (checked().length) return true;
      const row = selected();
      const box = row && $(".case-check", row);
      if (!box) return false;
      box.checked = true;
      updateCount();
      return true;
    };
    // The keyboard's way to the bulk bar's buttons (htmx does not see a submitter passed to
    // requestSubmit, so the action goes along as a value).
    const bulk = (action) => {
      const form = $("#bulk-form");
      if (!form || !window.htmx || !ensureTicked()) return;
      window.htmx.ajax("POST", form.getAttribute("hx-post"), {
        source: form, target: "#bulk-result", swap: "innerHTML", values: { action },
      });
    };

    // Merge the newest page of the view into what is on screen: changed rows are replaced (keeping
    // selection and ticks), new ones slot in by recency, and rows that left the view go.
    const key = (li) => [Date.parse(li.dataset.at) || 0, Number(li.dataset.caseId)];
    const newer = (a, b) => a[0] - b[0] || a[1] - b[1];
    let polling = false;
    const poll = async () => {
      const list = $("#case-list");
      if (!list || polling) return;
      polling = true;
      try {
        const response = await fetch(`${root.dataset.rowsUrl}?${list.dataset.query}`, {
          headers: { "HX-Request": "true" }, credentials: "same-origin",
        });
        if (!response.ok) return;
        const template = document.createElement("template");
        template.innerHTML = await response.text();
        const page = $("ol", template.content);
        if (!page || $("#case-list") !== list) return;
        const complete = page.dataset.complete === "true";
        const incoming = [...page.children];
        const ids = new Set(incoming.map((li) => li.id));
        const oldest = incoming.length ? key(incoming[incoming.length - 1]) : null;
        for (const li of rows()) {
          if (!ids.has(li.id) && (complete || (oldest && newer(key(li), oldest) >= 0))) li.remove();
        }
        const moreToLoad = Boolean($("#case-more button"));
        for (const li of incoming) {
          const existing = document.getElementById(li.id);
          if (existing && existing.dataset.version === li.dataset.version && existing.dataset.at === li.dataset.at) continue;
          if (existing) {
            if (existing.classList.contains("selected")) li.classList.add("selected");
            const box = $(".case-check", existing);
            if (box && box.checked) $(".case-check", li).checked = true;
            existing.remove();
          } else {
            li.classList.add("fresh");
          }
          const place = rows().find((other) => newer(key(other), key(li)) < 0);
          if (place) rowsEl().insertBefore(li, place);
          else if (existing || complete || !moreToLoad) rowsEl().appendChild(li);
        }
        const empty = $("#inbox-empty");
        if (empty) empty.hidden = rows().length > 0;
        tick();
      } catch (error) {
        // The network dropped for a moment: the next round tries again.
      } finally {
        polling = false;
      }
    };
    // How often is a setting (CXM_INBOX_POLL_SECONDS), written into the page.
    setInterval(() => { if (!document.hidden) poll(); }, Number(root.dataset.pollMs) || 4000);
    document.body.addEventListener("care-refresh", () => {
      for (const box of checked()) box.checked = false;
      updateCount();
      poll();
    });

    document.addEventListener("change", (event) => {
      if (event.target.id === "bulk-all") {
        for (const box of $$("#case-rows .case-check")) box.checked = event.target.checked;
      }
      if (event.target.matches(".case-check, #bulk-all")) updateCount();
    });
    document.addEventListener("click", (event) => {
      const row = event.target.closest(".case-row");
      if (row && !event.target.closest("a, input")) select(row);
    });

    const assignDialog = $("#assign-dialog");
    if (assignDialog) {
      assignDialog.addEventListener("close", () => {
        if (assignDialog.returnValue !== "ok") return;
        const value = $("#assign-pick").value;
        const picker = $("#bulk-assignee");
        if (![...picker.options].some((option) => option.value === value)) picker.add(new Option(value, value));
        picker.value = value;
        bulk("assign");
      });
    }

    const open = (focus) => {
      const row = selected();
      if (row) window.location.href = row.dataset.href + (focus ? `?focus=${focus}` : "");
    };
    return (event) => {
      switch (event.key) {
        case "j": move(1); return true;
        case "k": move(-1); return true;
        case "Enter": open(""); return Boolean(selected());
        case "r": open("reply"); return true;
        case "n": open("note"); return true;
        case "x": {
          const box = selected() && $(".case-check", selected());
          if (box) { box.checked = !box.checked; updateCount(); }
          return true;
        }
        case "e": bulk("resolve"); return true;
        case "a":
          if (assignDialog && (checked().length || selected())) assignDialog.showModal();
          return true;
        case "/": { const search = $("#case-search"); if (search) search.focus(); return true; }
        default: return false;
      }
    };
  }

  // --- a case ---------------------------------------------------------------------------------------
  function conversation(root) {
    const thread = $("#thread");
    const nearBottom = () => thread.scrollHeight - thread.scrollTop - thread.clientHeight < 80;
    if (thread) thread.scrollTop = thread.scrollHeight;

    const box = () => $("#reply-box");
    const setKind = (kind) => {
      const form = box();
      if (!form) return;
      const radio = $(`#kind-${kind}`, form);
      if (radio) radio.checked = true;
      form.dataset.kind = kind;
      for (const el of $$(".reply-only", form)) el.hidden = kind === "note";
      for (const el of $$(".note-only", form)) el.hidden = kind !== "note";
    };
    const write = (kind) => {
      setKind(kind);
      const text = $("#reply-text");
      if (text) { text.focus(); text.setSelectionRange(text.value.length, text.value.length); }
    };
    const syncKind = () => { const form = box(); if (form) setKind($("input[name=kind]:checked", form)?.value || "reply"); };
    syncKind();
    if (root.dataset.focus === "reply" || root.dataset.focus === "note") write(root.dataset.focus);

    document.addEventListener("change", (event) => { if (event.target.name === "kind") syncKind(); });
    document.addEventListener("click", (event) => {
      const chip = event.target.closest("[data-mention]");
      if (!chip) return;
      const text = $("#reply-text");
      const insert = `@${chip.dataset.mention} `;
      const at = text.selectionStart ?? text.value.length;
      const before = text.value.slice(0, at);
      text.value = before + (before && !/\s$/.test(before) ? " " : "") + insert + text.value.slice(at);
      write("note");
    });
    // A channel that shows the customer an agent writing (the website chat) hears of it every
    // two seconds while the agent types a reply (never a note).
    let typingSaid = 0;
    document.addEventListener("input", (event) => {
      if (!root.dataset.typingUrl || event.target.id !== "reply-text" || !window.htmx) return;
      if ((box() || {}).dataset?.kind === "note" || Date.now() - typingSaid < 2000) return;
      typingSaid = Date.now();
      window.htmx.ajax("POST", root.dataset.typingUrl, { source: root, swap: "none" });
    });
    document.addEventListener("keydown", (event) => {
      if (event.target.id === "reply-text" && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        box().requestSubmit();
      }
    });

    // Older pages go on top without moving what the agent is reading; new messages scroll into
    // view when the agent was at the bottom already. The same message never shows twice.
    let before = null;
    document.body.addEventListener("htmx:beforeSwap", (event) => {
      if (event.detail.target && event.detail.target.id === "thread-messages") {
        before = { height: thread.scrollHeight, top: thread.scrollTop, bottom: nearBottom() };
      }
    });
    document.body.addEventListener("htmx:afterSettle", () => {
      const seen = new Set();
      for (const message of $$("#thread-messages > .msg")) {
        if (seen.has(message.id)) message.remove();
        else seen.add(message.id);
      }
      if (before) {
        const grown = thread.scrollHeight - before.height;
        if (before.bottom) thread.scrollTop = thread.scrollHeight;
        else thread.scrollTop = before.top + (thread.scrollTop < 5 ? grown : 0);
        before = null;
      }
      syncKind();
      tick();
    });
    document.body.addEventListener("htmx:afterSwap", (event) => {
      if (event.detail.target && event.detail.target.id === "reply-box" && thread) {
        thread.scrollTop = thread.scrollHeight;
      }
    });

    const assignDialog = $("#assign-dialog");
    if (assignDialog && window.htmx) {
      assignDialog.addEventListener("close", () => {
        if (assignDialog.returnValue !== "ok") return;
        const value = $("#assign-pick").value;
        window.htmx.ajax("POST", root.dataset.updateUrl, {
          target: "#case-side-work", swap: "innerHTML", values: { assignee: value === "none" ? "" : value },
        });
      });
    }

    return (event) => {
      switch (event.key) {
        case "r": write("reply"); return true;
        case "n": write("note"); return true;
        case "e": {
          const button = $("#resolve-button");
          // A panel swapped in a moment ago may not be wired up by htmx yet: make sure it is.
          if (button) { if (window.htmx) window.htmx.process(button); button.click(); }
          return true;
        }
        case "a": if (assignDialog) assignDialog.showModal(); return true;
        case "Escape": window.location.href = root.dataset.inboxUrl; return true;
        default: return false;
      }
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    tick();
    setInterval(tick, 1000);
    const inboxRoot = $("#care-inbox");
    const caseRoot = $("#care-case");
    const handler = inboxRoot ? inbox(inboxRoot) : caseRoot ? conversation(caseRoot) : null;
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      if (openDialog()) return;
      if (typing(event.target)) {
        if (event.key === "Escape") event.target.blur();
        return;
      }
      if (event.key === "?") { showHelp(); event.preventDefault(); return; }
      if (handler && handler(event)) event.preventDefault();
    });
    document.body.dataset.careReady = "true";
  });
})();
