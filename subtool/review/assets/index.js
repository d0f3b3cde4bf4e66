(() => {
  "use strict";
  const body = document.querySelector("#items tbody");
  const headers = Array.from(document.querySelectorAll("#items th button[data-sort]"));
  let key = null, dir = 1;
  function value(row, k) {
    const v = row.dataset[k];
    const n = parseFloat(v);
    return Number.isNaN(n) ? (v || "") : n;
  }
  function sort(k) {
    dir = key === k ? -dir : (k === "problems" ? -1 : 1);
    key = k;
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      const x = value(a, k), y = value(b, k);
      if (typeof x === "number" && typeof y === "number") return (x - y) * dir || (parseInt(a.dataset.n, 10) - parseInt(b.dataset.n, 10));
      return String(x).localeCompare(String(y)) * dir || (parseInt(a.dataset.n, 10) - parseInt(b.dataset.n, 10));
    });
    for (const r of rows) body.appendChild(r);
    headers.forEach((b) => b.closest("th").setAttribute("aria-sort", b.dataset.sort === key ? (dir > 0 ? "ascending" : "descending") : "none"));
  }
  for (const b of headers) b.addEventListener("click", () => sort(b.dataset.sort));
  document.documentElement.dataset.ready = "1";
})();
