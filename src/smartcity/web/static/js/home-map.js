/* Home page: the wards of Ho Chi Minh City drawn from our own data with Leaflet.
   Configuration comes from data-* attributes on #ward-map (no inline script). */
(function () {
  "use strict";

  var element = document.getElementById("ward-map");
  if (!element || typeof L === "undefined") return;
  var data = element.dataset;
  var message = element.parentElement.querySelector(".map-message");

  function showMessage(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  // Ho Chi Minh City after the 2025 merger (with Binh Duong and Ba Ria - Vung Tau).
  var cityBounds = L.latLngBounds([10.3, 106.35], [11.5, 107.6]);
  var map = L.map(element, { zoomSnap: 0.25, minZoom: 7, maxZoom: 18 });
  // A view can be shared as #zoom/lat/lon (as on openstreetmap.org).
  var HASH = /^#(\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/;
  var shared = HASH.exec(window.location.hash);
  if (shared) {
    map.setView([Number(shared[2]), Number(shared[3])], Number(shared[1]));
  } else {
    map.fitBounds(cityBounds);
  }
  map.on("moveend", function () {
    var centre = map.getCenter();
    var hash = "#" + map.getZoom() + "/" + centre.lat.toFixed(5) + "/" + centre.lng.toFixed(5);
    window.history.replaceState(null, "", hash);
  });
  map.attributionControl.addAttribution(data.osmAttribution);

  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, {
      maxZoom: 19,
      attribution: data.tileAttribution,
    }).addTo(map);
    element.classList.add("has-tiles");
  }

  // Roads from our own vector tiles (/tiles/roads), coloured by class, major roads first.
  var ROAD_STYLE = {
    motorway: ["#c0392b", 3.5], trunk: ["#d35400", 3], primary: ["#e67e22", 2.6],
    secondary: ["#f1c40f", 2.2], tertiary: ["#7f8c8d", 1.6],
  };
  function roadStyle(properties, zoom) {
    var base = String(properties["class"] || "").replace("_link", "");
    var style = ROAD_STYLE[base] || ["#95a5a6", zoom >= 15 ? 1.2 : 0.6];
    return { color: style[0], weight: style[1] * (zoom >= 15 ? 1.5 : 1), opacity: 0.9 };
  }
  if (data.roadsTiles && L.vectorGrid) {
    L.vectorGrid.protobuf(data.roadsTiles, {
      rendererFactory: L.canvas.tile,
      vectorTileLayerStyles: { roads: roadStyle },
      maxNativeZoom: 18,
      minZoom: 8,
      interactive: false,
    }).addTo(map);
  }

  var baseStyle = { color: "#0b5f73", weight: 1, fillColor: "#5fb8c9", fillOpacity: 0.25 };
  var hoverStyle = { weight: 3, fillOpacity: 0.45 };
  var selected = null;
  var canHover = window.matchMedia("(hover: hover)").matches;

  function label(properties) {
    return properties.name || properties.code || "";
  }

  function onEachFeature(feature, layer) {
    var properties = feature.properties || {};
    var popup = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = label(properties);
    popup.appendChild(title);
    if (properties.division_type) {
      var kind = document.createElement("div");
      kind.textContent = properties.division_type;
      popup.appendChild(kind);
    }
    layer.bindPopup(popup);
    if (canHover) layer.bindTooltip(label(properties), { sticky: true, direction: "top" });
    layer.on("mouseover", function () { layer.setStyle(hoverStyle); });
    layer.on("mouseout", function () {
      if (layer !== selected) wards.resetStyle(layer);
    });
    layer.on("click", function () {
      if (selected && selected !== layer) wards.resetStyle(selected);
      selected = layer;
      layer.setStyle({ weight: 3, fillOpacity: 0.55, fillColor: "#f5a623" });
    });
  }

  // Frame the main cluster of wards: the Con Dao special zone lies ~180 km offshore and
  // would otherwise shrink the city to a dot.  It stays on the map, one pan away.
  function mainBounds(group) {
    var centres = [];
    group.eachLayer(function (layer) { centres.push(layer.getBounds().getCenter()); });
    function median(values) {
      var sorted = values.slice().sort(function (a, b) { return a - b; });
      return sorted[Math.floor(sorted.length / 2)];
    }
    var middle = L.latLng(
      median(centres.map(function (c) { return c.lat; })),
      median(centres.map(function (c) { return c.lng; }))
    );
    var bounds = L.latLngBounds([]);
    group.eachLayer(function (layer) {
      var centre = layer.getBounds().getCenter();
      if (Math.abs(centre.lat - middle.lat) < 1.5 && Math.abs(centre.lng - middle.lng) < 1.5) {
        bounds.extend(layer.getBounds());
      }
    });
    return bounds.isValid() ? bounds : group.getBounds();
  }

  var wards = L.geoJSON(null, { style: baseStyle, onEachFeature: onEachFeature }).addTo(map);

  showMessage(data.msgLoading);
  fetch(data.wardsUrl, { headers: { Accept: "application/geo+json, application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(function (collection) {
      var features = (collection && collection.features) || [];
      if (!features.length) {
        showMessage(data.msgEmpty);
        return;
      }
      wards.addData(collection);
      if (!shared) map.fitBounds(mainBounds(wards), { padding: [8, 8] });
      element.setAttribute(
        "aria-description",
        data.msgCount.replace("{count}", String(features.length))
      );
      showMessage("");
    })
    .catch(function () {
      showMessage(data.msgError);
    });
})();
