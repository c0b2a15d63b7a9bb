// The reports page's two charts, drawn by Chart.js (static/vendor) from the figures the page carries in
// #chart-data; the tables beside them say the same in words. Without scripts the tables remain.
(() => {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const ink = "#1d2430", accent = "#1f5fbf", paid = "#1d6b35", late = "#a4231b", muted = "#5a6472";
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = ink;
  const funnel = document.getElementById("funnel-chart");
  if (funnel) {
    new Chart(funnel, {
      type: "bar",
      data: {
        labels: data.funnel.map((s) => s.step.split(" ")),  // one word a line: no slanted labels on a phone
        datasets: [
          { label: funnel.dataset.reminded, data: data.funnel.map((s) => s.reminded), backgroundColor: accent },
          { label: funnel.dataset.paid, data: data.funnel.map((s) => s.paid), backgroundColor: paid },
        ],
      },
      options: { maintainAspectRatio: false,
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxRotation: 0 } } },
                 plugins: { legend: { position: "bottom" } } },
    });
  }
  const weeks = document.getElementById("weeks-chart");
  if (weeks) {
    const locale = weeks.dataset.locale;  // the reader's, as the page writes its dates and amounts
    const day = new Intl.DateTimeFormat(locale, { day: "2-digit", month: "short" });
    const money = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
    new Chart(weeks, {
      type: "line",
      data: {
        labels: data.weeks.map((w) => day.format(new Date(w.week + "T12:00:00"))),
        datasets: [
          { label: weeks.dataset.receivable, data: data.weeks.map((w) => w.receivable), borderColor: accent,
            backgroundColor: accent, tension: 0.2, yAxisID: "y" },
          { label: weeks.dataset.overdue, data: data.weeks.map((w) => w.overdue), borderColor: late,
            backgroundColor: late, tension: 0.2, fill: false, yAxisID: "y" },
          { label: weeks.dataset.dso, data: data.weeks.map((w) => w.dso), borderColor: muted, backgroundColor: muted,
            borderDash: [5, 4], pointRadius: 0, tension: 0.2, yAxisID: "days" },
        ],
      },
      options: {
        maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, ticks: { callback: (v) => money.format(v) } },
                  days: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } },
                  x: { ticks: { maxRotation: 0, autoSkipPadding: 12 } } },
        plugins: { legend: { position: "bottom", labels: { usePointStyle: true, pointStyle: "line" } } },
      },
    });
  }
})();
