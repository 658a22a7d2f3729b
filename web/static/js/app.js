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

  // The "Building shade" map layer (issue #19), shared with the potential map (survey.js): a feature's
  // shading_loss (0-1, or null while not computed) on the fixed scale the page sends (web/shade_scale.py).
  var shade = {
    colour: function (loss, cfg) {
      if (loss === null || loss === undefined) { return cfg.none_colour; }
      var k = 0;
      cfg.breaks.forEach(function (b) { if (loss >= b) { k += 1; } });
      return cfg.colours[k];
    },
    words: function (loss, cfg) {
      if (loss === null || loss === undefined) { return cfg.words.none; }
      return cfg.words.pct.replace("{pct}", (loss * 100).toFixed(1));
    },
    // Leaflet's layer control between the map's own layer and the shade layer. Leaflet writes a
    // layer's name as HTML, so the control gets neutral keys and the names (translated on the server)
    // are set afterwards as text, again whenever Leaflet redraws its list. The legend element named
    // by cfg.legend shows with the shade layer, the elements ``others`` names (ids) without it.
    layerSwitch: function (map, layers, cfg, others) {
      var keyed = {};
      layers.forEach(function (l, i) { keyed[String(i)] = l; });
      var control = L.control.layers(keyed, null, { collapsed: false, position: "topright" }).addTo(map);
      function name() {
        control.getContainer().querySelectorAll(".leaflet-control-layers-base label").forEach(function (label, i) {
          var span = label.querySelector("span > span");
          if (span && cfg.names[i] !== undefined) { span.textContent = " " + cfg.names[i]; }
        });
      }
      var legend = document.getElementById(cfg.legend);
      var other = (others || []).map(function (id) { return document.getElementById(id); });
      map.on("baselayerchange", function (event) {
        var shaded = event.layer === layers[1];
        if (legend) { legend.hidden = !shaded; }
        other.forEach(function (el) { if (el) { el.hidden = shaded; } });
        name();
      });
      map.on("layeradd layerremove", name);
      name();
      return control;
    }
  };
  window.pvhubShade = shade;

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
    // With the "Building shade" layer (data.shade), every marker is drawn a second time in it: the
    // ones with a shading_loss (a number or null) filled by the loss, the others as a grey outline
    // (on a map one draws on, they let clicks through to the drawing tool as the others do).
    var shadeLayer = data.shade ? L.featureGroup() : null;
    (data.markers || []).forEach(function (m) {
      drawMarker(m, layer, null);
      if (shadeLayer) {
        drawMarker(m, shadeLayer, ("shading_loss" in m) ? shade.colour(m.shading_loss, data.shade) : "");
      }
    });
    // fill: null = the marker's own colours; a colour = the shade layer's; "" = an outline only
    function drawMarker(m, group, fill) {
      var shape;
      var own = fill === null;
      if (m.geometry) {
        var colour = own ? (KIND_COLOURS[m.kind] || "#0f6e5a") : (fill || "#5d6b7a");
        shape = L.geoJSON(m.geometry, { interactive: !data.draw, pmIgnore: !own, style: function () {
          return { color: own ? colour : "#5d6b7a", weight: m.geometry.type === "LineString" ? 5 : 1,
                   fillColor: colour, fillOpacity: fill === "" ? 0 : (own ? 0.6 : 0.85) };
        } });
      } else if (m.footprint && m.footprint.type === "Polygon" && !m.colour) {
        // While drawing, existing shapes must let clicks through to the map (and to Geoman).
        var outline = own ? style : { color: "#5d6b7a", weight: 1, fillColor: fill || "#ffffff", fillOpacity: fill ? 0.85 : 0 };
        shape = L.geoJSON(m.footprint, { interactive: !data.draw, pmIgnore: !own, style: function () { return outline; } });
        if (!own && m.lat != null && m.lon != null) {
          // at district zoom a footprint is a few pixels: a dot at the site carries its colour too
          shape = L.featureGroup([shape, L.circleMarker([m.lat, m.lon], {
            radius: 5, color: "#5d6b7a", weight: 1, fillColor: fill || "#ffffff", fillOpacity: fill ? 0.9 : 0,
            interactive: !data.draw, pmIgnore: true
          })]);
        }
      } else if (m.colour && own) {
        // A marker coloured by group (a bundle, a construction stage); an anchor is drawn larger, ringed.
        shape = L.circleMarker([m.lat, m.lon], {
          radius: m.anchor ? 8 : 5, color: m.anchor ? "#1d2733" : m.colour, weight: m.anchor ? 3 : 1,
          fillColor: m.colour, fillOpacity: 0.9
        });
      } else if (own) {
        shape = L.circleMarker([m.lat, m.lon], { radius: 4, color: "#0f6e5a", weight: 1, fillColor: "#e3a21a", fillOpacity: 0.85 });
      } else {
        shape = L.circleMarker([m.lat, m.lon], { radius: 5, color: "#5d6b7a", weight: 1, fillColor: fill || "#ffffff", fillOpacity: fill ? 0.9 : 0, pmIgnore: true });
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
        var tip = m.group ? m.name + " · " + m.group : m.name;
        if (!own && ("shading_loss" in m)) { tip += " · " + shade.words(m.shading_loss, data.shade); }
        shape.bindTooltip(textElement(tip)).bindPopup(label);
      }
      shape.addTo(group);
    }
    if (shadeLayer) { shade.layerSwitch(map, [layer, shadeLayer], data.shade, []); }
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
