// moisson: progressive enhancement only. Every page works without this file; with it, ticking a facet or picking a
// sort applies at once, and a rectangle can be drawn on the map of France to search a zone.
"use strict";
document.documentElement.classList.add("js");

document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLElement && field.matches("[data-auto]") && field.form) {
    field.form.requestSubmit();
  }
});

function round(value) {
  return Math.round(value * 1000) / 1000;
}

function setupDrawing(svg) {
  const form = document.getElementById(svg.dataset.form || "zone");
  const trace = svg.querySelector(".trace");
  const west = parseFloat(svg.dataset.west), north = parseFloat(svg.dataset.north);
  const degX = parseFloat(svg.dataset.degX), degY = parseFloat(svg.dataset.degY);
  let start = null, moved = false;

  const point = (event) => {
    const p = svg.createSVGPoint();
    p.x = event.clientX;
    p.y = event.clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  };
  svg.addEventListener("pointerdown", (event) => {
    start = point(event);
    moved = false;
  });
  svg.addEventListener("pointermove", (event) => {
    if (!start) return;
    const p = point(event);
    if (Math.abs(p.x - start.x) + Math.abs(p.y - start.y) > 6) {
      moved = true;
      svg.setPointerCapture(event.pointerId);
    }
    if (!moved) return;
    trace.setAttribute("x", Math.min(p.x, start.x));
    trace.setAttribute("y", Math.min(p.y, start.y));
    trace.setAttribute("width", Math.abs(p.x - start.x));
    trace.setAttribute("height", Math.abs(p.y - start.y));
  });
  svg.addEventListener("pointerup", (event) => {
    if (!start || !moved) {
      start = null;
      return;  // a click: the département's link does its work
    }
    const p = point(event);
    const x1 = Math.min(p.x, start.x), x2 = Math.max(p.x, start.x);
    const y1 = Math.min(p.y, start.y), y2 = Math.max(p.y, start.y);
    start = null;
    if (!form) return;
    form.elements.ouest.value = round(west + x1 * degX);
    form.elements.est.value = round(west + x2 * degX);
    form.elements.nord.value = round(north - y1 * degY);
    form.elements.sud.value = round(north - y2 * degY);
    const status = document.getElementById("zone-tracee");
    if (status) status.textContent = "Zone tracée : appliquez-la pour chercher dedans.";
    form.elements.appliquer.focus();
  });
  svg.addEventListener("click", (event) => {
    if (moved) {
      event.preventDefault();  // the end of a drag is not a click on the département under it
      moved = false;
    }
  }, true);
}

document.querySelectorAll("svg[data-draw]").forEach(setupDrawing);
