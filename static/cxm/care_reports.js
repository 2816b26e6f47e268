// Draws the care reports from the JSON the page embeds (no extra request), and writes the
// durations of the key figures in words a person reads at a glance.
document.addEventListener("DOMContentLoaded", () => {
  const duration = (seconds) => {
    if (seconds === "" || seconds === null || Number.isNaN(Number(seconds))) return "—";
    const s = Number(seconds);
    if (s < 90) return `${Math.round(s)} s`;
    if (s < 5400) return `${Math.round(s / 60)} min`;
    if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
    return `${(s / 86400).toFixed(1)} d`;
  };
  for (const el of document.querySelectorAll("[data-seconds]")) el.textContent = duration(el.dataset.seconds);

  const node = document.getElementById("care-report-data");
  if (!node || !window.Chart) return;
  const data = JSON.parse(node.textContent);
  const draw = (id, config) => { const el = document.getElementById(id); if (el) new Chart(el, config); };
  const days = data.days.map((d) => d.day);
  const options = { responsive: true, scales: { y: { beginAtZero: true } } };
  draw("chart-volume", {
    type: "bar",
    data: { labels: days, datasets: [
      { label: "cases", data: data.days.map((d) => d.cases), backgroundColor: "#6366f1" },
      { label: "answered", data: data.days.map((d) => d.answered), backgroundColor: "#16a34a" },
      { label: "resolved", data: data.days.map((d) => d.resolved), backgroundColor: "#94a3b8" },
    ] },
    options,
  });
  const minutes = (v) => (v === null ? null : Math.round(v / 6) / 10);
  const hours = (v) => (v === null ? null : Math.round(v / 360) / 10);
  draw("chart-first-response", {
    type: "line",
    data: { labels: days, datasets: [{ label: "minutes", data: data.days.map((d) => minutes(d.first_response_mean)), borderColor: "#6366f1", spanGaps: true }] },
    options,
  });
  draw("chart-resolution", {
    type: "line",
    data: { labels: days, datasets: [{ label: "hours", data: data.days.map((d) => hours(d.resolution_mean)), borderColor: "#0891b2", spanGaps: true }] },
    options,
  });
  const backlog = data.backlog;
  draw("chart-backlog", {
    type: "doughnut",
    data: { labels: ["new", "open", "waiting for customer"], datasets: [{ data: [backlog.new, backlog.open, backlog.pending_customer], backgroundColor: ["#6366f1", "#0891b2", "#f59e0b"] }] },
    options: { responsive: true, plugins: { legend: { position: "right" } } },
  });
  draw("chart-csat", {
    type: "bar",
    data: { labels: data.csat_scores.map((s) => String(s.score)), datasets: [{ label: "answers", data: data.csat_scores.map((s) => s.responses), backgroundColor: ["#dc2626", "#f97316", "#eab308", "#84cc16", "#16a34a"] }] },
    options: { ...options, plugins: { legend: { display: false } } },
  });
  draw("chart-csat-days", {
    type: "line",
    data: { labels: data.csat_days.map((d) => d.day), datasets: [{ label: "average", data: data.csat_days.map((d) => d.average), borderColor: "#16a34a" }] },
    options: { responsive: true, scales: { y: { min: 1, max: 5 } } },
  });
  document.body.dataset.chartsReady = "true";
});
