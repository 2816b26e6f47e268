// The website chat: one <script src=".../static/webchat/widget.js" data-cxm-chat="KEY" async>
// puts a chat button on the page. Plain JS, no dependencies; it talks only to the server it was
// loaded from (/webchat/v1/KEY/...), and keeps the visitor's secret token in this site's
// localStorage. Its words come from the server, in the visitor's language.
(() => {
  "use strict";
  const script = document.currentScript || document.querySelector("script[data-cxm-chat]");
  const key = script && script.dataset.cxmChat;
  if (!key || window.cxmChat) return;
  window.cxmChat = true;
  const api = `${new URL(script.src).origin}/webchat/v1/${encodeURIComponent(key)}`;
  const stored = `cxm-chat:${key}`;
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
  // The visitor's first language the chat speaks: Indonesian ("id", or the old "in") or English.
  const lang = /^(id|in)\b/i.test(langs.find((l) => /^(id|in|en)\b/i.test(l)) || "") ? "id" : "en";

  let state = {};
  try { state = JSON.parse(localStorage.getItem(stored) || "{}") || {}; } catch (e) { state = {}; }
  const save = () => { try { localStorage.setItem(stored, JSON.stringify(state)); } catch (e) { /* private mode: this page only */ } };

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === "text") node.textContent = value;
      else if (value !== false && value != null) node.setAttribute(name, value === true ? "" : value);
    }
    node.append(...children);
    return node;
  };
  const call = async (method, path, body) => {
    const headers = {};
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    if (body) headers["Content-Type"] = "application/json";
    const response = await fetch(`${api}/${path}`, { method, headers, body: body && JSON.stringify(body), credentials: "omit" });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, data, wait: Number(response.headers.get("Retry-After")) || 0 };
  };

  async function start() {
    let config;
    try {
      const answer = await call("GET", `config?lang=${lang}`);
      if (!answer.ok) return;
      config = answer.data;
    } catch (e) { return; }
    const w = config.words;
    const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, name) => (name in values ? values[name] : m));

    const host = el("div", { id: "cxm-chat" });
    const root = host.attachShadow({ mode: "open" });
    const sheet = el("link", { rel: "stylesheet", href: config.stylesheet });
    const frame = el("div", { class: "frame", hidden: true });
    const show = () => { frame.hidden = false; };
    sheet.addEventListener("load", show);
    sheet.addEventListener("error", show);

    const svg = "http://www.w3.org/2000/svg";
    const icon = document.createElementNS(svg, "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    const bubble = document.createElementNS(svg, "path");
    bubble.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H10l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
    icon.append(bubble);
    const launcher = el("button", { type: "button", class: "launcher", "aria-label": w.launcher, "aria-expanded": "false", "aria-controls": "panel" }, icon);
    const close = el("button", { type: "button", class: "close", "aria-label": w.close }, el("span", { "aria-hidden": "true", text: "×" }));
    const notice = el("p", { class: "notice", role: "status" });
    const nameField = el("input", { name: "name", autocomplete: "name", maxlength: config.limits.name });
    const emailField = el("input", { name: "email", type: "email", autocomplete: "email", maxlength: config.limits.email });
    const prechat = el("form", { class: "prechat" },
      el("p", { text: w.intro }),
      el("label", {}, w.name, nameField),
      el("label", {}, w.email, emailField),
      el("button", { type: "submit", text: w.start }));
    const log = el("ol", { class: "log", role: "log", "aria-live": "polite", "aria-label": fill(w.title, { brand: config.brand }) });
    const typing = el("p", { class: "typing", hidden: true, text: fill(w.typing, { brand: config.brand }) });
    const text = el("textarea", { name: "text", rows: "2", maxlength: config.limits.text, placeholder: w.placeholder, "aria-label": w.message });
    const composer = el("form", { class: "composer" }, text, el("button", { type: "submit", text: w.send }));
    const problem = el("p", { class: "problem", role: "alert" });
    const panel = el("section", { id: "panel", class: "panel", role: "dialog", "aria-labelledby": "title", hidden: true },
      el("header", {}, el("h2", { id: "title", text: fill(w.title, { brand: config.brand }) }), close),
      notice, prechat, log, typing, composer, problem);
    frame.append(launcher, panel);
    root.append(sheet, frame);
    document.body.append(host);

    const seen = new Set();
    let last = 0;
    let timer = null;
    let pauseUntil = 0;
    const talking = () => Boolean(state.token);
    const layout = () => { prechat.hidden = talking(); log.hidden = composer.hidden = !talking(); };
    const say = (message) => {
      if (seen.has(message.id)) return;
      seen.add(message.id);
      last = Math.max(last, message.id);
      const mine = message.from === "visitor";
      log.append(el("li", { class: mine ? "mine" : "theirs", "data-id": message.id },
        el("strong", { text: mine ? w.you : config.brand }), el("span", { text: message.text })));
      log.scrollTop = log.scrollHeight;
    };
    const away = (availability) => {
      if (!availability || availability.online) { notice.textContent = ""; return; }
      const note = state.email ? fill(w.email_note, { email: state.email }) : w.stay_note;
      notice.textContent = `${availability.message} ${note}`;
    };
    const forget = () => { state = {}; save(); seen.clear(); last = 0; log.textContent = ""; layout(); };

    const poll = async () => {
      if (!talking() || panel.hidden || document.hidden || Date.now() < pauseUntil) return;
      try {
        const answer = await call("GET", `messages?after=${last}`);
        if (answer.status === 403) { forget(); return; }
        if (answer.status === 429) { pauseUntil = Date.now() + answer.wait * 1000; return; }
        if (!answer.ok) return;
        problem.textContent = "";
        answer.data.messages.forEach(say);
        typing.hidden = !answer.data.typing;
        if (answer.data.more) poll();
      } catch (e) { problem.textContent = w.offline; }
    };
    const open = () => {
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      layout();
      (talking() ? text : nameField).focus();
      away(config.availability);
      poll();
      timer = setInterval(poll, config.poll_ms);
    };
    const shut = () => {
      panel.hidden = true;
      launcher.setAttribute("aria-expanded", "false");
      clearInterval(timer);
      launcher.focus();
    };
    launcher.addEventListener("click", () => (panel.hidden ? open() : shut()));
    close.addEventListener("click", shut);
    panel.addEventListener("keydown", (event) => { if (event.key === "Escape") { event.stopPropagation(); shut(); } });

    const refused = (answer) => {
      if (answer.status === 429) return answer.data.detail;
      const fields = answer.data.fields || {};
      return Object.values(fields).flat().join(" ") || answer.data.detail || w.failed;
    };
    prechat.addEventListener("submit", async (event) => {
      event.preventDefault();
      problem.textContent = "";
      try {
        const answer = await call("POST", "visitors", { name: nameField.value, email: emailField.value, language: lang, page: location.origin + location.pathname });
        if (!answer.ok) { problem.textContent = refused(answer); return; }
        state = { token: answer.data.token, email: answer.data.email };
        save();
        layout();
        text.focus();
      } catch (e) { problem.textContent = w.offline; }
    });
    let sending = false;
    const send = async () => {
      const value = text.value.trim();
      if (!value || sending) return;
      if (value.length > config.limits.text) { problem.textContent = fill(w.too_long, { limit: config.limits.text }); return; }
      problem.textContent = "";
      sending = true;
      try {
        const answer = await call("POST", "messages", { text: value });
        if (answer.status === 403) { forget(); problem.textContent = w.failed; return; }
        if (!answer.ok) { problem.textContent = refused(answer); return; }
        text.value = "";
        say(answer.data.message);
        away(answer.data.availability);
      } catch (e) { problem.textContent = w.failed; } finally { sending = false; }
    };
    composer.addEventListener("submit", (event) => { event.preventDefault(); send(); });
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); send(); }
    });
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
