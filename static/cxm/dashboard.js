// Draws the listening dashboard from the JSON the page embeds (no extra request).
document.addEventListener("DOMContentLoaded", () => {
  const node = document.getElementById("dashboard-data");
  if (!node || !window.Chart) return;
  const data = JSON.parse(node.textContent);
  const colors = { positive: "#16a34a", neutral: "#94a3b8", negative: "#dc2626", unknown: "#e2e8f0" };
  const draw = (id, config) => { const el = document.getElementById(id); if (el) new Chart(el, config); };
  const days = data.volume.map((d) => d.day);
  document.getElementById("kpi-volume").textContent = data.volume.reduce((s, d) => s + d.total, 0).toLocaleString();
  draw("chart-volume", {
    type: "bar",
    data: { labels: days, datasets: ["negative", "neutral", "positive", "unknown"].map((k) => ({ label: k, data: data.volume.map((d) => d[k]), backgroundColor: colors[k], stack: "s" })) },
    options: { responsive: true, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });
  const doughnut = (id, rows, label, value) => draw(id, {
    type: "doughnut",
    data: { labels: rows.map(label), datasets: [{ data: rows.map(value) }] },
    options: { responsive: true, plugins: { legend: { position: "right" } } },
  });
  doughnut("chart-sov", data.share_of_voice, (r) => r.name || "—", (r) => r.mentions);
  doughnut("chart-media", data.media_type, (r) => r.value, (r) => r.mentions);
  const bars = (id, rows, label, value) => draw(id, {
    type: "bar", data: { labels: rows.map(label), datasets: [{ label: "mentions", data: rows.map(value), backgroundColor: "#6366f1" }] },
    options: { indexAxis: "y", responsive: true, plugins: { legend: { display: false } } },
  });
  bars("chart-country", data.country, (r) => r.value || "—", (r) => r.mentions);
  bars("chart-language", data.language, (r) => r.value || "?", (r) => r.mentions);
  bars("chart-products", data.products, (r) => r.name, (r) => r.mentions);
  document.body.dataset.chartsReady = "true";
});
