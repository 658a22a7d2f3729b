// The potential map (/survey, /potential, a building's page): buildings coloured by their class of kWp.
// On the office's page a click selects a building for an offer: it ticks the building's checkbox in
// the ranked table, or (a building on another page of the table) adds a hidden field and a line of
// text naming it. Every label reaches the page as text (textContent), never as HTML.
(function () {
  "use strict";

  function textElement(text) {
    var span = document.createElement("span");
    span.textContent = String(text);
    return span;
  }

  function toggle(form, listEl, m, on) {
    var box = form.querySelector('input[type="checkbox"][name="building_ids"][value="' + Number(m.id) + '"]');
    if (box) { box.checked = on; return; }
    var hidden = form.querySelector('input[type="hidden"][data-map-building="' + Number(m.id) + '"]');
    if (on && !hidden) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "building_ids"; input.value = String(Number(m.id));
      input.dataset.mapBuilding = String(Number(m.id));
      form.appendChild(input);
      var line = document.createElement("div");
      line.dataset.mapBuilding = String(Number(m.id));
      line.appendChild(textElement("#" + Number(m.id) + " · " + m.label));
      listEl.appendChild(line);
    } else if (!on) {
      form.querySelectorAll('[data-map-building="' + Number(m.id) + '"]').forEach(function (el) { el.remove(); });
    }
  }

  function draw(el) {
    var dataEl = document.getElementById(el.dataset.potentialMap);
    if (!dataEl || typeof L === "undefined") { return; }
    var data = JSON.parse(dataEl.textContent);
    var cfg = data.config;
    var map = L.map(el, { zoomControl: true, attributionControl: !!cfg.tileUrl, preferCanvas: true });
    if (cfg.tileUrl) { L.tileLayer(cfg.tileUrl, { attribution: cfg.attribution, maxZoom: 19 }).addTo(map); }
    if (cfg.boundary) {
      L.geoJSON(cfg.boundary, { interactive: false, style: function () {
        return { color: "#5d6b7a", weight: 1.5, dashArray: "4 4", fill: true, fillColor: "#ffffff", fillOpacity: 0.6 };
      } }).addTo(map);
    }
    var form = el.dataset.select ? document.getElementById("offer-form") : null;
    var listEl = document.getElementById("map-selected");
    var layer = L.featureGroup().addTo(map);
    var shadeLayer = data.shade ? L.featureGroup() : null;
    var selected = {};
    var shade = window.pvhubShade;  // app.js: the layer's scale, words and switch
    (data.markers || []).forEach(function (m) {
      addBuilding(m, m.colour, m.label, layer);
      if (shadeLayer && shade) {
        var words = shade.words(m.shading_loss, data.shade);
        addBuilding(m, shade.colour(m.shading_loss, data.shade), m.label ? m.label + " · " + words : words, shadeLayer);
      }
    });
    function addBuilding(m, colour, text, group) {
      var base = { color: "#5d6b7a", weight: 0.8, fillColor: colour, fillOpacity: 0.85 };
      var shape = m.footprint
        ? L.geoJSON(m.footprint, { style: function () { return base; } })
        : L.circleMarker([m.lat, m.lon], Object.assign({ radius: 5 }, base));
      if (text) { shape.bindTooltip(textElement(text), { sticky: true }); }
      shape.feature_id = m.id;
      if (form) {
        // one selection per building, whichever layer shows it: both of its shapes follow
        selected[m.id] = selected[m.id] || { on: false, shapes: [] };
        var state = selected[m.id];
        state.shapes.push(shape);
        shape.on("click", function () {
          state.on = !state.on;
          state.shapes.forEach(function (s) {
            s.setStyle({ color: state.on ? "#1d2733" : "#5d6b7a", weight: state.on ? 3 : 0.8 });
          });
          toggle(form, listEl, m, state.on);
        });
      } else if (m.id && !el.dataset.single) {
        shape.on("click", function () { window.location.href = "/survey/buildings/" + encodeURIComponent(m.id); });
      }
      shape.addTo(group);
    }
    if (shadeLayer && shade) { shade.layerSwitch(map, [layer, shadeLayer], data.shade, ["potential-legend", "potential-hint"]); }
    if (layer.getLayers().length) {
      map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 18 });
    } else {
      map.setView(cfg.center, 13);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-potential-map]").forEach(draw);
  });
})();
