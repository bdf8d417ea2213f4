/* Flood page: live map of flood points (refreshed over SSE), report form, SVG charts.
   Configuration comes from data-* attributes (CSP: no inline script). */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  function colour(depth) {
    if (depth >= 50) return "#6a1b9a";
    if (depth >= 30) return "#c62828";
    if (depth >= 20) return "#ef6c00";
    if (depth >= 10) return "#f9a825";
    return "#1e88e5";
  }
  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, k) { return values[k]; });
  }
  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }
  function lineChart(svg, series, levels) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var all = [];
    series.forEach(function (s) { s.points.forEach(function (p) { all.push(p); }); });
    if (!all.length) {
      var t = el("text", { x: 10, y: 80 }, svg); t.textContent = svg.dataset.msgEmpty || "—"; return;
    }
    var t0 = Math.min.apply(null, all.map(function (p) { return p[0]; }));
    var t1 = Math.max.apply(null, all.map(function (p) { return p[0]; }));
    var values = all.map(function (p) { return p[1]; }).concat(levels || []);
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    if (hi === lo) hi = lo + 1;
    function x(t) { return 30 + (t - t0) / Math.max(1, t1 - t0) * 320; }
    function y(v) { return 150 - (v - lo) / (hi - lo) * 135; }
    (levels || []).forEach(function (level, i) {
      el("line", { x1: 30, x2: 350, y1: y(level), y2: y(level), "class": "alert-line a" + (i + 1) }, svg);
      var label = el("text", { x: 32, y: y(level) - 2, "class": "chart-label" }, svg);
      label.textContent = ["BĐ I", "BĐ II", "BĐ III"][i] + " " + level.toFixed(2);
    });
    series.forEach(function (s) {
      var d = s.points.map(function (p, i) { return (i ? "L" : "M") + x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1); }).join("");
      el("path", { d: d, "class": "chart-line" }, svg);
    });
    el("text", { x: 0, y: 14, "class": "chart-label" }, svg).textContent = hi.toFixed(1);
    el("text", { x: 0, y: 150, "class": "chart-label" }, svg).textContent = lo.toFixed(1);
  }

  var tide = document.getElementById("tide-chart");
  if (tide) {
    fetch(tide.dataset.url).then(function (r) { return r.json(); }).then(function (body) {
      lineChart(tide, [{ points: body.curve.map(function (p) { return [Date.parse(p.time), p.level_m]; }) }], body.alert_levels_m);
    });
  }
  var station = document.getElementById("station-chart");
  if (station) {
    fetch(station.dataset.url).then(function (r) { return r.json(); }).then(function (body) {
      lineChart(station, body.datastreams.map(function (s) {
        return { points: s.points.map(function (p) { return [Date.parse(p[0]), p[1]]; }) };
      }));
    });
  }

  var element = document.getElementById("flood-map");
  if (!element || typeof L === "undefined") return;
  var data = element.dataset;
  var map = L.map(element, { zoomSnap: 0.25, minZoom: 9, maxZoom: 18 }).setView([10.78, 106.70], 12);
  if (data.tileUrl) L.tileLayer(data.tileUrl, { maxZoom: 19, attribution: data.tileAttribution }).addTo(map);
  if (L.vectorGrid) {
    L.vectorGrid.protobuf(data.roadsTiles, {
      rendererFactory: L.canvas.tile, maxNativeZoom: 18, minZoom: 8, interactive: false,
      vectorTileLayerStyles: { roads: { color: "#90a4ae", weight: 1, opacity: 0.9 } },
    }).addTo(map);
  }
  var layer = L.layerGroup().addTo(map);
  var pickLocation = function () {};
  var framed = false;
  function load() {
    fetch(data.pointsUrl).then(function (r) { return r.json(); }).then(function (body) {
      layer.clearLayers();
      body.features.forEach(function (f) {
        var p = f.properties, c = f.geometry.coordinates;
        var marker = L.circleMarker([c[1], c[0]], {
          radius: p.depth_cm > 0 ? 9 : 5, color: "#263238", weight: 1,
          fillColor: colour(p.depth_cm), fillOpacity: p.depth_cm > 0 ? 0.9 : 0.4,
          dashArray: p.flagged ? "2,3" : null,
        }).addTo(layer);
        var popup = document.createElement("div");
        var title = document.createElement("strong");
        title.textContent = p.name;
        popup.appendChild(title);
        var stateName = data["state" + p.state.charAt(0).toUpperCase() + p.state.slice(1)] || p.state;
        var sourceName = data["src" + p.source.charAt(0).toUpperCase() + p.source.slice(1)] || p.source;
        [fmt(data.msgDepth, { depth: p.depth_cm }) + " · " + stateName,
         fmt(data.msgSource, { source: sourceName, age: p.age_min === null ? "—" : Math.round(p.age_min) })
        ].forEach(function (text) {
          var line = document.createElement("div");
          line.textContent = text;
          popup.appendChild(line);
        });
        p.stations.forEach(function (id) {
          var link = document.createElement("a");
          link.href = "/flood/stations/" + Number(id);
          link.textContent = data.msgStation + " " + Number(id);
          popup.appendChild(link);
        });
        marker.bindPopup(popup);
        marker.on("click", function (e) { pickLocation(e.latlng); });
        marker.feature = f;
      });
      var wet = body.features.filter(function (f) { return f.properties.depth_cm > 0; });
      if (!framed && wet.length) {
        framed = true;  // first load: show where the water is
        map.fitBounds(L.latLngBounds(wet.map(function (f) {
          return [f.geometry.coordinates[1], f.geometry.coordinates[0]];
        })), { maxZoom: 16, padding: [30, 30] });
      }
      element.setAttribute("data-loaded", String(body.features.length));
    });
  }
  load();
  if (window.EventSource) {
    var source = new EventSource(data.streamUrl);
    source.addEventListener("changed", load);
  }

  var form = document.getElementById("flood-report");
  var pin = null;
  // A tap on the map, or on a flood point, chooses where the report is.
  pickLocation = function (latlng) {
    if (!form) return;
    form.elements.lon.value = latlng.lng.toFixed(6);
    form.elements.lat.value = latlng.lat.toFixed(6);
    document.getElementById("report-where").textContent = latlng.lat.toFixed(5) + ", " + latlng.lng.toFixed(5);
    if (pin) pin.remove();
    pin = L.marker(latlng).addTo(map);
  };
  map.on("click", function (e) { pickLocation(e.latlng); });
  if (form) form.addEventListener("submit", function (event) {
    event.preventDefault();
    var status = form.querySelector(".form-status");
    if (!form.elements.lon.value) { status.textContent = form.dataset.msgLocate; return; }
    var token = document.querySelector('meta[name="csrf-token"]');
    fetch(form.dataset.url, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: token ? { "X-CSRF-Token": token.content } : {},
    }).then(function (r) {
      return r.json().then(function (body) {
        status.textContent = r.ok ? form.dataset.msgOk : (body.detail || body.title);
        if (r.ok) load();
      });
    });
  });
})();
