/* The report form: location by map tap or GPS, category-specific fields, and the
   "is it this one?" list of open reports of the same category nearby. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var data = form.dataset;
  var category = document.getElementById("report-category");
  var lat = document.getElementById("report-lat");
  var lon = document.getElementById("report-lon");
  var status = document.getElementById("report-location-status");
  var nearby = document.getElementById("report-nearby");
  var nearbyList = document.getElementById("report-nearby-list");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var marker = null;
  var map = null;

  var mapElement = document.getElementById("report-location-map");
  if (mapElement && typeof L !== "undefined") {
    map = L.map(mapElement, { minZoom: 8, maxZoom: 19 }).setView([10.7769, 106.7009], 13);
    map.attributionControl.addAttribution(mapElement.dataset.osmAttribution);
    if (mapElement.dataset.roadsTiles && L.vectorGrid) {
      L.vectorGrid.protobuf(mapElement.dataset.roadsTiles, {
        rendererFactory: L.canvas.tile, maxNativeZoom: 18, minZoom: 8, interactive: false,
        vectorTileLayerStyles: { roads: { color: "#9aa5a8", weight: 1 } },
      }).addTo(map);
    }
    map.on("click", function (event) { setLocation(event.latlng.lat, event.latlng.lng); });
  }

  function setLocation(latitude, longitude) {
    lat.value = latitude.toFixed(6);
    lon.value = longitude.toFixed(6);
    if (map) {
      if (marker) { marker.setLatLng([latitude, longitude]); } else { marker = L.marker([latitude, longitude]).addTo(map); }
      map.panTo([latitude, longitude]);
    }
    status.textContent = data.msgLocated;
    checkNearby();
  }

  document.getElementById("report-gps").addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = data.msgGpsFailed; return; }
    navigator.geolocation.getCurrentPosition(
      function (position) { setLocation(position.coords.latitude, position.coords.longitude); },
      function () { status.textContent = data.msgGpsFailed; },
      { enableHighAccuracy: true, timeout: 10000 }
    );
  });

  function showFields() {
    var option = category.options[category.selectedIndex];
    var set = option ? option.getAttribute("data-fields") : "";
    document.querySelectorAll(".report-fields").forEach(function (box) {
      box.hidden = box.getAttribute("data-field-set") !== set;
    });
  }

  function supportForm(id) {
    var box = document.createElement("form");
    box.method = "post";
    box.action = "/reports/" + id + "/support";
    var token = document.createElement("input");
    token.type = "hidden"; token.name = "csrf_token"; token.value = csrf;
    box.appendChild(token);
    var email = document.getElementById("report-contact-email");
    if (email && email.value) {
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = "email"; hidden.value = email.value;
      box.appendChild(hidden);
    }
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "support-button";
    button.textContent = nearby.getAttribute("data-support-label") || "+1";
    box.appendChild(button);
    return box;
  }

  function checkNearby() {
    if (!category.value || !lat.value || !lon.value) { nearby.hidden = true; return; }
    var url = data.nearbyUrl + "?category=" + encodeURIComponent(category.value) +
      "&lat=" + encodeURIComponent(lat.value) + "&lon=" + encodeURIComponent(lon.value);
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (items) {
        nearbyList.textContent = "";
        items.forEach(function (item) {
          var li = document.createElement("li");
          var link = document.createElement("a");
          link.href = "/reports/" + item.id;
          link.textContent = "#" + item.id + " — " + item.description;
          li.appendChild(link);
          var meta = document.createElement("div");
          meta.className = "hint";
          meta.textContent = data.msgMetres.replace("{distance}", Math.round(item.distance_m)) +
            " · " + item.supporters + " " + data.msgSupporters;
          li.appendChild(meta);
          li.appendChild(supportForm(item.id));
          nearbyList.appendChild(li);
        });
        nearby.hidden = items.length === 0;
      })
      .catch(function () { nearby.hidden = true; });
  }

  category.addEventListener("change", function () { showFields(); checkNearby(); });
  lat.addEventListener("change", checkNearby);
  lon.addEventListener("change", checkNearby);
  showFields();
  if (lat.value && lon.value) { checkNearby(); }
})();
