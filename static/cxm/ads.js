// Draws an ads insights chart from the JSON the page embeds (no extra request).
document.addEventListener("DOMContentLoaded", () => {
  const node = document.getElementById("insights-data");
  const canvas = document.getElementById("chart-insights");
  if (!node || !canvas || !window.Chart) return;
  const data = JSON.parse(node.textContent);
  const number = (values) => values.map((v) => (v === null ? null : Number(String(v).replace(/[^0-9.-]/g, ""))));
  new Chart(canvas, {
    data: {
      labels: data.days,
      datasets: [
        { type: "bar", label: "spend", data: number(data.spend), backgroundColor: "#94a3b8", yAxisID: "money" },
        { type: "bar", label: "conversion value", data: number(data.value), backgroundColor: "#6366f1", yAxisID: "money" },
        { type: "line", label: "ROAS", data: number(data.roas), borderColor: "#16a34a", yAxisID: "roas" },
      ],
    },
    options: {
      responsive: true,
      scales: { money: { beginAtZero: true, position: "left" }, roas: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } },
    },
  });
  document.body.dataset.chartsReady = "true";
});
