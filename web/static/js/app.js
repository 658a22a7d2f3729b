// pvhub page behaviour: CSRF header for htmx requests, and the Leaflet map component.
// Loaded as a file (the CSP allows only our own scripts); data comes from <script type="application/json">.
(function () {
  "use strict";

  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRF-Token"] = meta.content; }
  });

  // Everything a user typed reaches the page from script only as text: a node whose textContent is
  // set, never a string that a library (Leaflet's tooltips, popups, controls) would parse as HTML.
  function textElement(text) {
    var span = document.createElement("span");
    span.textContent = String(text);
    return span;
  }

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
        shape = L.geoJSON(m.geometry, { interactive: !data.draw, style: function () {
          return { color: colour, weight: m.geometry.type === "LineString" ? 5 : 1, fillColor: colour, fillOpacity: 0.6 };
        } });
      } else if (m.footprint && m.footprint.type === "Polygon" && !m.colour) {
        // While drawing, existing shapes must let clicks through to the map (and to Geoman).
        shape = L.geoJSON(m.footprint, { interactive: !data.draw, style: function () { return style; } });
      } else if (m.colour) {
        // A marker coloured by group (a bundle, a construction stage); an anchor is drawn larger, ringed.
        shape = L.circleMarker([m.lat, m.lon], {
          radius: m.anchor ? 8 : 5, color: m.anchor ? "#1d2733" : m.colour, weight: m.anchor ? 3 : 1,
          fillColor: m.colour, fillOpacity: 0.9
        });
      } else {
        shape = L.circleMarker([m.lat, m.lon], { radius: 4, color: "#0f6e5a", weight: 1, fillColor: "#e3a21a", fillOpacity: 0.85 });
      }
      if (m.name) {
        var label = textElement(m.name);
        if (m.id) {
          var link = document.createElement("a");
          link.href = "/sites/" + encodeURIComponent(m.id);
          link.appendChild(label);
          label = link;
        }
        // Leaflet inserts a string tooltip or popup as HTML; names are typed by users, so both get
        // a DOM node whose text is the name (never markup).
        shape.bindTooltip(textElement(m.group ? m.name + " · " + m.group : m.name)).bindPopup(label);
      }
      shape.addTo(layer);
    });
    if (layer.getLayers().length) {
      // one building (drawing on it): one step closer, to see and draw its surfaces (about 0.85 m a
      // pixel in Shanghai); many sites: street level at most
      map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: data.draw ? 18 : 17 });
    } else {
      map.setView(cfg.center, data.draw ? 17 : 13);  // drawing a building needs street-level zoom
    }
    if (data.draw && map.pm) { enableDrawing(map, el, data.draw); }
    addBuildings(map, !data.draw);
    var legend = L.control({ position: "bottomleft" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "map-legend");
      var sites = (data.markers || []).filter(function (m) { return !m.kind; }).length;
      div.textContent = sites + " " + (data.labels ? data.labels.sites : "");
      return div;
    };
    legend.addTo(map);
  }

  // The district's building stock under whatever the map shows (grey, darker when taller; neighbours
  // outside the district lighter), fetched for the map's bounds as it moves. With no tile server the
  // footprints are the base map. Tooltips are text nodes (height, storeys), never HTML.
  function addBuildings(map, interactive) {
    if (!window.fetch) { return; }
    var pane = map.createPane("buildings");
    pane.style.zIndex = 350;  // above tiles (200), below the sites and surfaces (overlay pane, 400)
    var group = L.layerGroup().addTo(map);
    var zh = document.documentElement.lang === "zh-CN";
    var pending = null;
    function grey(height) {
      var h = Math.max(0, Math.min(Number(height) || 0, 200));
      return "hsl(210, 8%, " + Math.round(78 - h / 200 * 45) + "%)";  // 78 % at the ground, 33 % at 200 m
    }
    function label(p) {
      var parts = [];
      if (p.height_m !== null && p.height_m !== undefined) { parts.push(Math.round(p.height_m) + " m"); }
      if (p.storeys) { parts.push(zh ? p.storeys + " 层" : p.storeys + " storeys"); }
      return parts.join(" · ");
    }
    function load() {
      if (map.getZoom() < 13) { group.clearLayers(); return; }
      var b = map.getBounds();
      var box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); });
      if (pending) { pending.abort(); }
      pending = new AbortController();
      fetch("/survey/buildings.json?bbox=" + box.join(","), { signal: pending.signal, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (fc) {
          if (!fc || !fc.features) { return; }
          group.clearLayers();
          L.geoJSON(fc, {
            pane: "buildings",
            interactive: interactive,  // on a map one draws on, every click is the drawing tool's
            pmIgnore: true,  // and Geoman neither edits nor snaps to a neighbour's footprint
            snapIgnore: true,
            style: function (f) {
              var inside = f.properties.inside_district;
              return { color: "#6b7580", weight: 0.5, fillColor: grey(f.properties.height_m),
                       fillOpacity: inside ? 0.75 : 0.35, opacity: inside ? 0.8 : 0.4 };
            },
            onEachFeature: function (f, layer) {
              var text = label(f.properties);
              if (text && interactive) { layer.bindTooltip(textElement(text), { sticky: true }); }
            }
          }).addTo(group);
        })
        .catch(function () { /* an aborted or failed fetch leaves the map as it was */ });
    }
    map.on("moveend", load);
    load();
  }

  // Drawing with Leaflet-Geoman: the last shape drawn is written, as GeoJSON, into the hidden
  // input named by data-draw, and the form is told ("drawn") so htmx can refresh its preview.
  function enableDrawing(map, el, modes) {
    var input = document.getElementById(el.dataset.draw);
    if (!input) { return; }
    if (document.documentElement.lang === "zh-CN") { map.pm.setLang("zh"); }
    map.pm.addControls({
      position: "topleft", drawMarker: false, drawCircleMarker: false, drawCircle: false, drawText: false,
      drawRectangle: modes.indexOf("polygon") >= 0, drawPolygon: modes.indexOf("polygon") >= 0,
      drawPolyline: modes.indexOf("line") >= 0, cutPolygon: false, rotateMode: false, dragMode: false,
      editMode: true, removalMode: true
    });
    var drawn = null;
    function store(layer) {
      var geometry = layer.toGeoJSON().geometry;
      if (geometry.type === "LineString" && geometry.coordinates.length > 2) {
        geometry.coordinates = [geometry.coordinates[0], geometry.coordinates[geometry.coordinates.length - 1]];
      }
      input.value = JSON.stringify(geometry);
      if (input.form && window.htmx) { window.htmx.trigger(input.form, "drawn"); }
    }
    map.on("pm:create", function (event) {
      if (drawn) { map.removeLayer(drawn); }
      drawn = event.layer;
      store(drawn);
      drawn.on("pm:edit", function () { store(drawn); });
    });
    map.on("pm:remove", function (event) {
      if (event.layer === drawn) { drawn = null; input.value = ""; }
    });
  }

  function init(root) {
    (root || document).querySelectorAll("[data-map]").forEach(function (el) {
      if (!el.dataset.drawn) { el.dataset.drawn = "1"; drawMap(el); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
