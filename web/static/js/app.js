// pvhub page behaviour: CSRF header for htmx requests, and the Leaflet map component.
// Loaded as a file (the CSP allows only our own scripts); data comes from <script type="application/json">.
(function () {
  "use strict";

  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRF-Token"] = meta.content; }
  });

  var KIND_COLOURS = { roof: "#e3a21a", curtain_wall: "#2f6fb3", corridor: "#8a4fbf", walkway: "#2e9e6a" };

  function drawMap(el) {
    var dataEl = document.getElementById(el.dataset.map);
    if (!dataEl || typeof L === "undefined") { return; }
    var data = JSON.parse(dataEl.textContent);
    var cfg = data.config;
    var map = L.map(el, { zoomControl: true, attributionControl: !!cfg.tileUrl });
    if (cfg.tileUrl) {
      L.tileLayer(cfg.tileUrl, { attribution: cfg.attribution, maxZoom: 19 }).addTo(map);
    }
    if (cfg.boundary) {
      L.geoJSON(cfg.boundary, { interactive: false, style: function () {
        return { color: "#5d6b7a", weight: 1.5, dashArray: "4 4", fill: true, fillColor: "#ffffff", fillOpacity: 0.6 };
      } }).addTo(map);
    }
    var layer = L.featureGroup().addTo(map);
    var style = { color: "#0f6e5a", weight: 1, fillColor: "#e3a21a", fillOpacity: 0.7 };
    (data.markers || []).forEach(function (m) {
      var shape;
      if (m.geometry) {
        var colour = KIND_COLOURS[m.kind] || "#0f6e5a";
        shape = L.geoJSON(m.geometry, { style: function () {
          return { color: colour, weight: m.geometry.type === "LineString" ? 5 : 1, fillColor: colour, fillOpacity: 0.6 };
        } });
      } else if (m.footprint && m.footprint.type === "Polygon") {
        shape = L.geoJSON(m.footprint, { style: function () { return style; } });
      } else {
        shape = L.circleMarker([m.lat, m.lon], { radius: 4, color: "#0f6e5a", weight: 1, fillColor: "#e3a21a", fillOpacity: 0.85 });
      }
      if (m.name) {
        var label = document.createElement("span");
        label.textContent = m.name;
        if (m.id) {
          var link = document.createElement("a");
          link.href = "/sites/" + m.id;
          link.appendChild(label);
          label = link;
        }
        shape.bindTooltip(m.name).bindPopup(label);
      }
      shape.addTo(layer);
    });
    if (layer.getLayers().length) {
      map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 17 });
    } else {
      map.setView(cfg.center, 13);
    }
    var legend = L.control({ position: "bottomleft" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "map-legend");
      div.textContent = (data.markers || []).length + " " + (data.labels ? data.labels.sites : "");
      return div;
    };
    legend.addTo(map);
  }

  function init(root) {
    (root || document).querySelectorAll("[data-map]").forEach(function (el) {
      if (!el.dataset.drawn) { el.dataset.drawn = "1"; drawMap(el); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
