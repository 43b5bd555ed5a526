// recaudo dashboard: draws every <canvas class="chart" data-chart='{…Chart.js config…}'> on load
// and after each htmx swap. Pages carry no inline script (the CSP forbids it): the chart's whole
// configuration is JSON in the attribute, written by the server.
(function () {
  "use strict";

  function draw(root) {
    if (typeof Chart === "undefined") return;
    var canvases = (root || document).querySelectorAll("canvas.chart[data-chart]");
    for (var i = 0; i < canvases.length; i++) {
      var canvas = canvases[i];
      var old = Chart.getChart(canvas);
      if (old) old.destroy();
      try {
        var config = JSON.parse(canvas.getAttribute("data-chart"));
        config.options = config.options || {};
        config.options.responsive = true;
        config.options.maintainAspectRatio = false;
        // Numbers move live in the demo: redraw without animation so they read at once.
        config.options.animation = false;
        new Chart(canvas, config);
      } catch (e) {
        canvas.setAttribute("data-chart-error", String(e));
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
})();
