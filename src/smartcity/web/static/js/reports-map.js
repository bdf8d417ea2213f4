/* Reports list page: the reports inside the map view, loaded from /api/v1/reports/map.
   Configuration from data-* attributes on #reports-map (no inline script). */
(function () {
  "use strict";
  var element = document.getElementById("reports-map");
  if (!element || typeof L === "undefined") return;
  var data = element.dataset;
  var map = L.map(element, { minZoom: 8, maxZoom: 18 }).fitBounds([[10.65, 106.55], [10.9, 106.85]]);
  map.attributionControl.addAttribution(data.osmAttribution);
  if (data.roadsTiles && L.vectorGrid) {
    L.vectorGrid.protobuf(data.roadsTiles, {
      rendererFactory: L.canvas.tile, maxNativeZoom: 18, minZoom: 8, interactive: false,
      vectorTileLayerStyles: { roads: { color: "#9aa5a8", weight: 1 } },
    }).addTo(map);
  }
  var layer = L.layerGroup().addTo(map);
  var COLOURS = { resolved: "#1f7a3d", rejected: "#7f1d1d", waiting_info: "#b7791f" };
  function load() {
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
    var url = data.pointsUrl + (data.pointsUrl.indexOf("?") < 0 ? "?" : "&") + "bbox=" + bbox;
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (body) {
        layer.clearLayers();
        body.items.forEach(function (p) {
          var marker = L.circleMarker([p.lat, p.lon], {
            radius: 6, weight: 1, color: "#fff", fillOpacity: 0.9, fillColor: COLOURS[p.status] || "#0b5f73",
          });
          var link = document.createElement("a");
          link.href = "/reports/" + p.id;
          link.textContent = "#" + p.id + " · " + p.category;
          marker.bindPopup(link);
          layer.addLayer(marker);
        });
      })
      .catch(function () { /* the list below still works */ });
  }
  map.on("moveend", load);
  load();
})();
