/* Route planner: a small module other pages embed with an element carrying
   data-route-planner (see routing/planner.html for the data-* attributes and the
   form/map/result elements it expects). No inline scripts (CSP): config via data-*.
   Public API: window.SmartCityRoutePlanner.mount(element) -> {setPoint, plan, map}. */
(function () {
  "use strict";

  var COORDS = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/;

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, key) {
      return values[key] !== undefined ? values[key] : "";
    });
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function mount(root) {
    if (typeof L === "undefined") return null;
    var data = root.dataset;
    var form = root.querySelector("form");
    var status = root.querySelector(".planner-status");
    var result = root.querySelector(".planner-result");
    var inputs = { origin: form.elements.origin, destination: form.elements.destination };
    var points = { origin: null, destination: null };
    var markers = { origin: null, destination: null };

    var map = L.map(root.querySelector(".planner-map"), { zoomSnap: 0.25, minZoom: 9, maxZoom: 18, doubleClickZoom: false });
    map.setView([10.7769, 106.7009], 13);
    map.attributionControl.addAttribution(data.osmAttribution);
    if (data.tileUrl) {
      L.tileLayer(data.tileUrl, { maxZoom: 19, attribution: data.tileAttribution }).addTo(map);
    }
    if (data.roadsTiles && L.vectorGrid) {
      L.vectorGrid.protobuf(data.roadsTiles, {
        rendererFactory: L.canvas.tile,
        vectorTileLayerStyles: {
          roads: function (_p, zoom) { return { color: "#8a99a3", weight: zoom >= 15 ? 1.6 : 0.8 }; },
        },
        maxNativeZoom: 18,
        interactive: false,
      }).addTo(map);
    }
    var routeLayer = L.layerGroup().addTo(map);

    function say(text, isError) {
      status.textContent = text;
      status.classList.toggle("error", !!isError);
    }

    function setPoint(which, lon, lat) {
      points[which] = [lon, lat];
      inputs[which].value = data.msgMapPoint + " " + lat.toFixed(5) + ", " + lon.toFixed(5);
      if (markers[which]) markers[which].remove();
      markers[which] = L.circleMarker([lat, lon], {
        radius: 8, weight: 3, color: "#fff",
        fillColor: which === "origin" ? "#0b7a3b" : "#a4262c", fillOpacity: 1,
      }).addTo(map);
    }

    Object.keys(inputs).forEach(function (which) {
      inputs[which].addEventListener("input", function () { points[which] = null; });
    });

    map.on("click", function (event) {
      var which = !points.origin ? "origin" : !points.destination ? "destination" : null;
      if (!which) {
        clear();
        which = "origin";
      }
      setPoint(which, event.latlng.lng, event.latlng.lat);
      if (which === "origin") say(data.msgPickDestination);
      else plan();
    });

    function value(which) {
      if (points[which]) return points[which];
      var text = inputs[which].value.trim();
      var match = COORDS.exec(text);
      if (match) return [Number(match[2]), Number(match[1])];  // typed as "lat, lon"
      return text;
    }

    function clear() {
      points.origin = points.destination = null;
      ["origin", "destination"].forEach(function (which) {
        if (markers[which]) markers[which].remove();
        markers[which] = null;
      });
      routeLayer.clearLayers();
      result.hidden = true;
      say(data.msgPickOrigin);
    }

    function item(list, text, extra) {
      var li = document.createElement("li");
      li.textContent = text;
      if (extra) {
        var span = document.createElement("span");
        span.className = "step-distance";
        span.textContent = " · " + extra;
        li.appendChild(span);
      }
      list.appendChild(li);
    }

    function show(collection) {
      routeLayer.clearLayers();
      var bounds = null;
      collection.features.slice().reverse().forEach(function (feature) {
        var main = feature.properties.rank === 0;
        var line = L.geoJSON(feature, {
          style: { color: main ? "#0b5f73" : "#7f8c8d", weight: main ? 6 : 4, opacity: main ? 0.9 : 0.7,
                   dashArray: main ? null : "6 6" },
        }).addTo(routeLayer);
        bounds = bounds ? bounds.extend(line.getBounds()) : line.getBounds();
      });
      if (bounds) map.fitBounds(bounds, { padding: [24, 24] });
      var best = collection.features[0].properties;
      root.querySelector(".planner-summary").textContent = format(data.msgSummary, {
        distance: (best.distance_m / 1000).toFixed(1),
        minutes: Math.max(1, Math.round(best.duration_s / 60)),
        free: Math.max(1, Math.round(best.free_flow_duration_s / 60)),
      });
      var notices = root.querySelector(".planner-notices");
      notices.textContent = "";
      best.notices.forEach(function (notice) { item(notices, notice.message); });
      collection.features.slice(1).forEach(function (feature) {
        var p = feature.properties;
        item(notices, data.msgAlternative + ": " + (p.distance_m / 1000).toFixed(1) + " km · " +
             Math.max(1, Math.round(p.duration_s / 60)) + " min");
      });
      var steps = root.querySelector(".planner-steps");
      steps.textContent = "";
      best.steps.forEach(function (step) {
        item(steps, step.instruction, step.distance_m > 0 ? Math.round(step.distance_m) + " m" : "");
      });
      result.hidden = false;
      say("");
    }

    function plan() {
      var origin = value("origin");
      var destination = value("destination");
      if (!origin || !destination) {
        say(!origin ? data.msgPickOrigin : data.msgPickDestination);
        return;
      }
      say(data.msgSearching);
      var body = {
        origin: origin,
        destination: destination,
        profile: form.elements.profile.value,
        avoid: { flooded: form.elements.flooded.checked, jams: form.elements.jams.checked },
        alternatives: form.elements.alternatives.checked ? 2 : 0,
        language: data.language,
      };
      fetch(data.apiUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json",
                   "X-CSRF-Token": csrfToken() },
        credentials: "same-origin",
        body: JSON.stringify(body),
      }).then(function (response) {
        return response.json().then(function (json) { return { ok: response.ok, json: json }; });
      }).then(function (answer) {
        if (!answer.ok) {
          routeLayer.clearLayers();
          result.hidden = true;
          say(answer.json.detail || data.msgFailed, true);
          return;
        }
        show(answer.json);
      }).catch(function () { say(data.msgFailed, true); });
    }

    form.addEventListener("submit", function (event) { event.preventDefault(); plan(); });
    form.addEventListener("reset", function () { window.setTimeout(clear, 0); });
    ["profile", "flooded", "jams", "alternatives"].forEach(function (name) {
      var field = form.elements[name];
      var list = field.length !== undefined && !field.tagName ? Array.prototype.slice.call(field) : [field];
      list.forEach(function (element) {
        element.addEventListener("change", function () {
          if (points.origin && points.destination) plan();
        });
      });
    });
    return { setPoint: setPoint, plan: plan, map: map };
  }

  window.SmartCityRoutePlanner = { mount: mount };
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-route-planner]"), function (root) {
      root.routePlanner = mount(root);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
