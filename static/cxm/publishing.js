// Publishing's small behaviours: the pause dialog, dragging posts in the calendar, the composer's
// thread boxes and variant fields for the chosen platforms, and "select all" for held posts. Loaded
// by publishing pages and, for admins, by the pause dialog on every page; the guard keeps handlers
// single.
(() => {
  if (window.cxmPublishing) return;
  window.cxmPublishing = true;

  document.addEventListener("click", (event) => {
    // Composer: another box for the thread's next post, numbered like the ones before it.
    const adder = event.target.closest("[data-thread-add]");
    if (adder) {
      const list = adder.closest("[data-thread]").querySelector("[data-thread-parts]");
      const item = document.createElement("li");
      const label = document.createElement("label");
      label.textContent = adder.dataset.label.replace("%(position)s", list.children.length + 2);
      const box = document.createElement("textarea");
      box.name = "thread";
      box.rows = 3;
      label.append(box);
      item.append(label);
      list.append(item);
      box.focus();
      return;
    }
    const opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      document.getElementById(opener.dataset.dialogOpen)?.showModal();
      return;
    }
    const closer = event.target.closest("[data-dialog-close]");
    if (closer) closer.closest("dialog")?.close();
  });

  // Drag a card to a day (month) or a day and hour (week); the server keeps the time of day.
  let dragged = null;
  const slotOf = (event) => (event.target.closest ? event.target.closest("[data-drop-date]") : null);
  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest("[data-move-url]");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.postId);
    card.classList.add("dragging");
  });
  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.querySelectorAll(".drop-over").forEach((el) => el.classList.remove("drop-over"));
  });
  document.addEventListener("dragover", (event) => {
    const slot = slotOf(event);
    if (!slot || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    slot.classList.add("drop-over");
  });
  document.addEventListener("dragleave", (event) => {
    const slot = slotOf(event);
    if (slot && !slot.contains(event.relatedTarget)) slot.classList.remove("drop-over");
  });
  document.addEventListener("drop", (event) => {
    const slot = slotOf(event);
    if (!slot || !dragged) return;
    event.preventDefault();
    const values = { date: slot.dataset.dropDate };
    if (slot.dataset.dropHour !== undefined) values.hour = slot.dataset.dropHour;
    window.htmx.ajax("POST", dragged.dataset.moveUrl, { source: slot, target: "#calendar", swap: "outerHTML", values });
  });

  // Composer: show the per-platform text fields of the platforms ticked.
  const syncVariants = (form) => {
    const ticked = form.querySelectorAll("input[name=accounts]:checked");
    const platforms = new Set(Array.from(ticked, (input) => input.dataset.platform));
    form.querySelectorAll("[data-variant-platform]").forEach((field) => {
      field.hidden = !platforms.has(field.dataset.variantPlatform);
    });
  };
  document.addEventListener("change", (event) => {
    const form = event.target.closest("form[data-compose]");
    if (form) syncVariants(form);
    const all = event.target.closest("[data-select-all]");
    if (all) {
      all.closest("form").querySelectorAll(`input[name="${all.dataset.selectAll}"]`).forEach((box) => {
        box.checked = all.checked;
      });
    }
  });
  // Leaving the page while the live check is in flight makes the browser abort it, and htmx
  // reports every abort as an error: the post is sent once the check in flight has answered.
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-compose]");
    if (!form || !form.classList.contains("htmx-request")) return;
    event.preventDefault();
    const submitter = event.submitter;
    // After htmx has started any check queued behind this one, so that one defers the post too.
    const resubmit = () => setTimeout(() => form.requestSubmit(submitter), 0);
    form.addEventListener("htmx:afterRequest", resubmit, { once: true });
  });
  const ready = () => document.querySelectorAll("form[data-compose]").forEach(syncVariants);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
