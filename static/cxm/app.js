// Small behaviours the server-rendered pages share; everything works without them too.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

// A select marked data-autosubmit sends its form as soon as it changes.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && "autosubmit" in field.dataset && field.form) {
    field.form.requestSubmit();
  }
});

// A button marked data-print opens the browser's print dialog.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) window.print();
});

// A button marked data-copy="#selector" copies that field's text, and says so (data-copied).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  const field = button && document.querySelector(button.dataset.copy);
  if (!field) return;
  field.select();
  const said = () => { if (button.dataset.copied) button.textContent = button.dataset.copied; };
  if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(said, () => {});
});
