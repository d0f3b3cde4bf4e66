(() => {
  "use strict";
  const video = document.getElementById("video");
  const inner = document.querySelector(".tl-inner");
  const scroller = document.querySelector(".tl-scroll");
  const head = document.querySelector(".playhead");
  const extent = parseFloat(inner.dataset.extent) || 1;
  const tracks = video ? Array.from(video.textTracks) : [];
  const buttons = Array.from(document.querySelectorAll(".langs button"));
  const pct = (t) => (Math.max(0, t) / extent * 100) + "%";

  for (const m of inner.querySelectorAll(".m")) {
    const s = parseFloat(m.dataset.s), e = parseFloat(m.dataset.e);
    m.style.left = pct(s);
    m.style.width = pct(e - s);
  }

  function show(index) {
    tracks.forEach((t, i) => { t.mode = i === index ? "showing" : "hidden"; });
    buttons.forEach((b) => b.setAttribute("aria-pressed", String(parseInt(b.dataset.show, 10) === index)));
  }
  for (const b of buttons) b.addEventListener("click", () => show(parseInt(b.dataset.show, 10)));
  // Over subtitles burned into the picture no soft track is shown until one is chosen.
  show(tracks.length && !(video && video.dataset.burned) ? 0 : -1);

  let selected = [];
  function seek(el) {
    const lane = el.closest("[data-t]");
    const t = lane ? parseInt(lane.dataset.t, 10) : -1;
    if (t >= 0 && t < tracks.length) show(t);
    if (video) video.currentTime = parseFloat(el.dataset.s);
    selected.forEach((x) => x.classList.remove("sel"));
    const cue = el.dataset.c;
    selected = Array.from(document.querySelectorAll(`[data-t="${t}"] [data-c="${cue}"], tr[data-t="${t}"][data-c="${cue}"]`));
    selected.forEach((x) => x.classList.add("sel"));
  }
  inner.addEventListener("click", (ev) => { const m = ev.target.closest(".m"); if (m) seek(m); });
  const table = document.getElementById("problems");
  if (table) table.addEventListener("click", (ev) => { const row = ev.target.closest("tr[data-s]"); if (row) seek(row); });

  const zoom = document.getElementById("zoom");
  function rezoom() {
    const pps = parseFloat(zoom.value);
    inner.style.width = pps > 0 ? Math.max(scroller.clientWidth, extent * pps) + "px" : "100%";
  }
  if (zoom) { zoom.addEventListener("input", rezoom); rezoom(); }

  if (video && head) {
    video.addEventListener("timeupdate", () => {
      head.style.left = pct(video.currentTime);
      const x = video.currentTime / extent * inner.clientWidth;
      if (x < scroller.scrollLeft || x > scroller.scrollLeft + scroller.clientWidth - 40) scroller.scrollLeft = Math.max(0, x - 80);
    });
  }
  document.documentElement.dataset.ready = "1";
  if (window.performance && performance.mark) performance.mark("subtool-ready");
})();
