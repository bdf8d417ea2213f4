/* The traffic page: four tabs (map, alerts, cameras, reports) fed by the traffic API and
   one server-sent event stream.  Configuration and messages come as JSON in the
   data-config attribute of #traffic-page (no inline script: the CSP forbids it). */
(function () {
  "use strict";

  var page = document.getElementById("traffic-page");
  if (!page || typeof L === "undefined") return;
  var config = JSON.parse(page.dataset.config);
  var msg = config.msg;
  var urls = config.urls;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var CITY = L.latLngBounds([10.68, 106.58], [10.88, 106.82]);
  var LEVEL_COLOURS = { free: "#2e9e44", slow: "#e0a800", heavy: "#e8590c", standstill: "#b00020" };
  var KIND_COLOURS = { jam: "#b00020", incident: "#e8590c", closure: "#5c0011", flood: "#1565c0" };

  function t(key, params) {
    var text = msg[key] || key;
    Object.keys(params || {}).forEach(function (name) {
      text = text.replace("{" + name + "}", String(params[name]));
    });
    return text;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function clock(iso) {
    var date = new Date(iso);
    // city time, whatever the phone's time zone: alerts and pictures are about HCMC
    return date.toLocaleTimeString(config.lang === "vi" ? "vi-VN" : "en-GB", {
      hour: "2-digit", minute: "2-digit", timeZone: "Asia/Ho_Chi_Minh",
    });
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
  }

  function send(method, url, body) {
    var headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (csrfMeta) headers["X-CSRF-Token"] = csrfMeta.getAttribute("content");
    return fetch(url, {
      method: method, headers: headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      if (response.status === 204) return null;
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.detail || data.title || "HTTP " + response.status);
        return data;
      });
    });
  }

  // ---------------------------------------------------------------- maps

  function baseMap(element) {
    var map = L.map(element, { zoomSnap: 0.5, minZoom: 9, maxZoom: 18 });
    map.fitBounds(CITY);
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: config.tileAttribution }).addTo(map);
    }
    map.attributionControl.addAttribution(
      '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap contributors</a>'
    );
    if (L.vectorGrid) {
      L.vectorGrid.protobuf(urls.roads, {
        rendererFactory: L.canvas.tile, maxNativeZoom: 18, minZoom: 9, interactive: false,
        vectorTileLayerStyles: {
          roads: function (p, zoom) { return { color: "#9aa5ad", weight: zoom >= 15 ? 1.2 : 0.5 }; },
        },
      }).addTo(map);
    }
    element.leafletMap = map; // for the page's own tests and the planner module
    return map;
  }

  function trafficLayer(map) {
    if (!L.vectorGrid) return null;
    var style = function (p, zoom) {
      return {
        color: LEVEL_COLOURS[p.level] || "#888",
        weight: zoom >= 15 ? 4 : zoom >= 13 ? 2.5 : 1.5,
        opacity: p.source === "live" ? 0.95 : 0.55,
        dashArray: p.source === "live" ? null : "4 4",
      };
    };
    var layer = L.vectorGrid.protobuf(urls.tiles + "?v=0", {
      rendererFactory: L.canvas.tile, maxNativeZoom: 18, minZoom: 10, interactive: false,
      vectorTileLayerStyles: { traffic: style },
    });
    layer.addTo(map);
    return layer;
  }

  // A tap near a road (a finger is wider than a line: within about 12 px): its speed now
  // (live or typical), its level and the 30/60-minute forecast.
  function roadPopup(map, latlng) {
    var metresPerPixel = 156543.03 * Math.cos(latlng.lat * Math.PI / 180) / Math.pow(2, map.getZoom());
    var reach = Math.max(15, 12 * metresPerPixel);
    var where = "?lon=" + latlng.lng.toFixed(6) + "&lat=" + latlng.lat.toFixed(6);
    getJSON(urls.reverse + where).then(function (near) {
      if (near.segment_id === null || near.distance_m === null || near.distance_m > reach) return null;
      return getJSON(urls.segments + "/" + near.segment_id);
    }).then(function (info) {
      if (!info) return;
      var box = el("div", "segment-popup");
      box.appendChild(el("strong", null, info.name || t("unnamed_road")));
      if (info.speed_kmh !== null) {
        box.appendChild(el("div", null, t("speed", { speed: Math.round(info.speed_kmh) }) +
          " · " + t("level_" + info.level)));
      }
      box.appendChild(el("div", "meta", info.source === "live"
        ? t("source_live", { time: clock(info.observed_at) })
        : t("source_" + info.source)));
      var soon = info.forecast["30min"], later = info.forecast["60min"];
      if (soon !== null && soon !== undefined && later !== null && later !== undefined) {
        box.appendChild(el("div", "meta", t("forecast", {
          in30: Math.round(soon), in60: Math.round(later),
        })));
      }
      L.popup({ maxWidth: 260 }).setLatLng(latlng).setContent(box).openOn(map);
    }).catch(function () { /* the map stays as it is */ });
  }

  var trafficLayers = [];
  var lastRefresh = 0;
  var refreshTimer = null;
  function refreshTraffic() {
    // Live speeds changed: reload the traffic tiles at most every 15 s.
    var wait = Math.max(0, lastRefresh + 15000 - Date.now());
    if (refreshTimer) return;
    refreshTimer = window.setTimeout(function () {
      refreshTimer = null;
      lastRefresh = Date.now();
      trafficLayers.forEach(function (layer) { layer.setUrl(urls.tiles + "?v=" + lastRefresh); });
    }, wait);
  }

  function alertText(alert) {
    var what = t(alert.kind);
    var detail = alert.severity && msg[alert.severity] ? " (" + t(alert.severity) + ")" : "";
    var road = alert.road_name || t("unnamed_road");
    return what + detail + " · " + road;
  }

  function alertLine(alert) {
    var parts = [t("since", { time: clock(alert.started_at) })];
    if (alert.speed_kmh !== null && alert.speed_kmh !== undefined) {
      parts.push(t("speed", { speed: Math.round(alert.speed_kmh) }));
    }
    if (alert.length_m) parts.push(t("length", { km: (alert.length_m / 1000).toFixed(1) }));
    return parts.join(" · ");
  }

  // ---------------------------------------------------------------- tabs

  var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"]'));
  var shown = {};
  var onShow = {};

  function select(tab, focus) {
    tabs.forEach(function (other) {
      var selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    });
    if (focus) tab.focus();
    var name = tab.dataset.tab;
    window.history.replaceState(null, "", "#" + name);
    if (onShow[name]) onShow[name](!shown[name]);
    shown[name] = true;
  }

  tabs.forEach(function (tab, position) {
    tab.addEventListener("click", function () { select(tab, false); });
    tab.addEventListener("keydown", function (event) {
      var next = null;
      if (event.key === "ArrowRight") next = tabs[(position + 1) % tabs.length];
      if (event.key === "ArrowLeft") next = tabs[(position - 1 + tabs.length) % tabs.length];
      if (event.key === "Home") next = tabs[0];
      if (event.key === "End") next = tabs[tabs.length - 1];
      if (next) {
        event.preventDefault();
        select(next, true);
      }
    });
  });

  // ---------------------------------------------------------------- map tab

  var mainMap = null;
  var alertMarkers = {};
  var alertLayer = null;
  var incidentLayer = null;
  var reportLayer = null;
  var cityAlerts = {};

  function drawCityAlert(alert) {
    if (!alertLayer) return;
    if (alertMarkers[alert.id]) {
      alertLayer.removeLayer(alertMarkers[alert.id]);
      delete alertMarkers[alert.id];
    }
    if (alert.status !== "active") return;
    var marker = L.circleMarker([alert.lat, alert.lon], {
      radius: 9, color: "#fff", weight: 2, fillColor: KIND_COLOURS[alert.kind] || "#b00020", fillOpacity: 0.95,
      bubblingMouseEvents: false,
    }).bindPopup(el("div", null, alertText(alert) + " — " + alertLine(alert)));
    alertMarkers[alert.id] = marker.addTo(alertLayer);
  }

  function loadIncidents() {
    if (!incidentLayer) return;
    getJSON(urls.incidents).then(function (incidents) {
      incidentLayer.clearLayers();
      incidents.forEach(function (incident) {
        L.circleMarker([incident.lat, incident.lon], {
          radius: 6, color: "#5c0011", weight: 2, fillColor: "#ffb3b3", fillOpacity: 0.9,
          bubblingMouseEvents: false,
        }).bindPopup(el("div", null, t(incident.closed ? "closure" : "incident") + " (" + t(incident.kind) + ")"))
          .addTo(incidentLayer);
      });
    }).catch(function () { /* markers are an extra */ });
  }

  onShow.map = function (first) {
    if (first) {
      mainMap = baseMap(document.getElementById("traffic-map"));
      var layer = trafficLayer(mainMap);
      mainMap.on("click", function (event) { roadPopup(mainMap, event.latlng); });
      if (layer) trafficLayers.push(layer);
      alertLayer = L.layerGroup().addTo(mainMap);
      incidentLayer = L.layerGroup().addTo(mainMap);
      reportLayer = L.layerGroup().addTo(mainMap);
      cameraLayers.push(L.layerGroup().addTo(mainMap));
      Object.keys(cityAlerts).forEach(function (id) { drawCityAlert(cityAlerts[id]); });
      loadIncidents();
      loadCameras();
      loadReports();
    } else {
      mainMap.invalidateSize();
    }
  };

  // ---------------------------------------------------------------- alerts tab

  var alertList = document.getElementById("alert-list");
  var subscriptionList = document.getElementById("subscription-list");
  var countBadge = document.getElementById("alert-count");
  var mine = {};
  var subscriptions = [];

  function renderEmpty(list) {
    if (!list.children.length) list.appendChild(el("li", "empty", list.dataset.empty));
  }

  function renderMine() {
    alertList.textContent = "";
    var items = Object.keys(mine).map(function (id) { return mine[id]; });
    items.sort(function (a, b) { return b.id - a.id; });
    items.forEach(function (alert) {
      var item = el("li", "alert-item kind-" + alert.kind);
      item.dataset.alertId = alert.id;
      item.appendChild(el("strong", null, alertText(alert)));
      item.appendChild(el("span", "meta", alertLine(alert)));
      var names = subscriptions.filter(function (s) { return alert.subscriptions.indexOf(s.id) >= 0; })
        .map(function (s) { return s.name; });
      if (names.length) item.appendChild(el("span", "meta", "→ " + names.join(", ")));
      alertList.appendChild(item);
    });
    renderEmpty(alertList);
    countBadge.hidden = items.length === 0;
    countBadge.textContent = String(items.length);
  }

  function windowText(sub) {
    if (!sub.windows.length) return t("always");
    return sub.windows.map(function (w) {
      return w.start + "–" + w.end + (w.days.length === 5 ? " (" + t("weekdays") + ")" : "");
    }).join(", ");
  }

  var subscriptionShapes = null;
  function renderSubscriptions() {
    subscriptionList.textContent = "";
    if (subscriptionShapes) subscriptionShapes.clearLayers();
    subscriptions.forEach(function (sub) {
      var item = el("li", "subscription-item");
      item.appendChild(el("strong", null, sub.name));
      item.appendChild(el("span", "meta", t(sub.kind) + " · " + windowText(sub)));
      var remove = el("button", "link-button", t("delete"));
      remove.type = "button";
      remove.addEventListener("click", function () {
        send("DELETE", urls.subscriptions + "/" + sub.id).catch(function () { /* stays listed */ });
      });
      item.appendChild(remove);
      subscriptionList.appendChild(item);
      if (subscriptionShapes && sub.coordinates.length) {
        var latlngs = sub.coordinates.map(function (c) { return [c[1], c[0]]; });
        (latlngs.length === 1
          ? L.circle(latlngs[0], { radius: sub.radius_m, color: "#0b5f73" })
          : L.polyline(latlngs, { color: "#0b5f73", weight: 5, opacity: 0.6 })
        ).addTo(subscriptionShapes);
      }
    });
    renderEmpty(subscriptionList);
  }

  // Drawing a route: each tap adds a point; one point is a place.
  var drawn = [];
  var drawLine = null;
  var drawStatus = document.getElementById("draw-status");
  var alertsMap = null;

  function redraw() {
    if (drawLine) drawLine.setLatLngs(drawn);
    drawStatus.textContent = drawn.length ? t("points", { count: drawn.length }) : "";
  }

  onShow.alerts = function (first) {
    if (!first) { alertsMap.invalidateSize(); return; }
    alertsMap = baseMap(document.getElementById("alerts-map"));
    var layer = trafficLayer(alertsMap);
    if (layer) trafficLayers.push(layer);
    subscriptionShapes = L.layerGroup().addTo(alertsMap);
    drawLine = L.polyline([], { color: "#f5a623", weight: 5 }).addTo(alertsMap);
    alertsMap.on("click", function (event) {
      drawn.push(event.latlng);
      redraw();
    });
    renderSubscriptions();
  };

  document.getElementById("draw-undo").addEventListener("click", function () { drawn.pop(); redraw(); });
  document.getElementById("draw-clear").addEventListener("click", function () { drawn = []; redraw(); });

  var form = document.getElementById("subscribe-form");
  var formStatus = document.getElementById("subscribe-status");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!drawn.length) {
      formStatus.textContent = t("need_points");
      return;
    }
    var data = new FormData(form);
    var windows = [];
    if (!data.get("always")) {
      windows.push({
        days: data.get("weekdays") ? [0, 1, 2, 3, 4] : [0, 1, 2, 3, 4, 5, 6],
        start: data.get("start") || "00:00",
        end: data.get("end") || "23:59",
      });
    }
    var body = {
      name: String(data.get("name") || "").trim() || t("route"),
      kind: drawn.length === 1 ? "place" : "route",
      coordinates: drawn.map(function (p) { return [Number(p.lng.toFixed(6)), Number(p.lat.toFixed(6))]; }),
      windows: windows,
    };
    if (body.kind === "place") body.radius_m = 500;
    send("POST", urls.subscriptions, body).then(function (created) {
      formStatus.textContent = t("saved");
      drawn = [];
      redraw();
      // The stream sends the new subscriptions and their alerts as a snapshot; a first
      // subscription made this browser a subscriber (a cookie), so the stream reconnects.
      if (created.subscriber_token) connect();
    }).catch(function (error) {
      formStatus.textContent = t("save_failed", { reason: error.message });
    });
  });

  // Web Push: this browser gets the alerts of the saved places and routes with the page closed.
  var PUSH_ID = "traffic-push-subscription";
  var pushPanel = document.getElementById("push-panel");
  var pushButton = document.getElementById("push-toggle");
  var pushStatus = document.getElementById("push-status");

  function keyBytes(base64url) {
    var text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  function showPush(on) {
    pushButton.textContent = on ? t("push_off") : t("push_on");
    pushButton.setAttribute("aria-pressed", on ? "true" : "false");
  }

  function registerPush(subscription) {
    var json = subscription.toJSON();
    return send("POST", urls.push + "/subscriptions", {
      endpoint: json.endpoint,
      expirationTime: json.expirationTime === undefined ? null : json.expirationTime,
      keys: json.keys,
      language: config.lang,
    }).then(function (saved) {
      window.localStorage.setItem(PUSH_ID, String(saved.id));
      if (saved.subscriber_token) connect(); // this browser just became a subscriber
      return saved;
    });
  }

  function turnPushOff(existing) {
    var id = window.localStorage.getItem(PUSH_ID);
    return existing.unsubscribe().then(function () {
      window.localStorage.removeItem(PUSH_ID);
      if (id) send("DELETE", urls.push + "/subscriptions/" + id).catch(function () { /* gone */ });
      showPush(false);
      pushStatus.textContent = t("push_disabled");
    });
  }

  function turnPushOn(registration) {
    return Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") throw new Error(t("push_denied"));
      return registration.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: keyBytes(config.push.application_server_key),
      });
    }).then(registerPush).then(function () {
      showPush(true);
      pushStatus.textContent = t("push_enabled");
    });
  }

  function setUpPush() {
    if (!config.push.enabled) return;
    pushPanel.hidden = false;
    document.getElementById("push-none").hidden = true;
    if (!("serviceWorker" in navigator && "PushManager" in window && "Notification" in window)) {
      pushButton.disabled = true;
      pushStatus.textContent = t("push_unsupported");
      return;
    }
    navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (existing) {
      var on = Boolean(existing) && Notification.permission === "granted";
      showPush(on);
      if (on) registerPush(existing).catch(function () { /* tried again on the next visit */ });
    });
    pushButton.addEventListener("click", function () {
      pushButton.disabled = true;
      navigator.serviceWorker.ready.then(function (registration) {
        return registration.pushManager.getSubscription().then(function (existing) {
          return existing ? turnPushOff(existing) : turnPushOn(registration);
        });
      }).catch(function (error) {
        pushStatus.textContent = t("push_failed", { reason: error.message });
      }).then(function () { pushButton.disabled = false; });
    });
  }
  setUpPush();

  document.getElementById("alerts-near").addEventListener("click", function () {
    var status = document.getElementById("near-status");
    if (!navigator.geolocation) { status.textContent = t("no_location"); return; }
    navigator.geolocation.getCurrentPosition(function (position) {
      var lon = position.coords.longitude.toFixed(5);
      var lat = position.coords.latitude.toFixed(5);
      getJSON(urls.alerts + "?near=" + lon + "," + lat + ",3000").then(function (found) {
        status.textContent = found.length
          ? t("near_found", { count: found.length, km: 3 }) + " " + found.map(alertText).join("; ")
          : t("near_none", { km: 3 });
      });
    }, function () { status.textContent = t("no_location"); }, { timeout: 10000 });
  });

  // ---------------------------------------------------------------- cameras tab

  var cameraList = document.getElementById("camera-list");
  var cameraFilter = document.getElementById("camera-filter");
  var cameraStatus = document.getElementById("camera-status");
  var cameraLayers = [];
  var cameras = [];
  var cameraMap = null;
  var CAMERA_LIMIT = 60;

  function cameraItem(camera) {
    var item = el("li", "camera-item" + (camera.online ? "" : " offline"));
    item.id = "camera-" + camera.id;
    item.appendChild(el("strong", null, camera.name));
    item.appendChild(el("span", "meta", (camera.district ? camera.district + " · " : "") +
      t(camera.online ? "camera_online" : "camera_offline") +
      (camera.offline_reason ? " (" + camera.offline_reason + ")" : "")));
    if (camera.snapshot_url) {
      var image = el("img", "snapshot");
      image.src = camera.snapshot_url;
      image.alt = t("snapshot_of", { name: camera.name });
      image.loading = "lazy";
      image.width = 320;
      image.height = 180;
      item.appendChild(image);
      if (camera.snapshot_at) item.appendChild(el("span", "meta", clock(camera.snapshot_at)));
    } else {
      item.appendChild(el("span", "no-snapshot", t("no_snapshot")));
    }
    if (config.officer) {
      var button = el("button", "button secondary", t(camera.online ? "mark_offline" : "mark_online"));
      button.type = "button";
      button.dataset.cameraId = camera.id;
      button.addEventListener("click", function () {
        var reason = camera.online ? (window.prompt(t("offline_reason")) || "") : "";
        send("POST", urls.cameras + "/" + camera.id + "/status", { online: !camera.online, reason: reason })
          .then(loadCameras)
          .catch(function (error) { cameraStatus.textContent = error.message; });
      });
      item.appendChild(button);
    }
    return item;
  }

  function renderCameras() {
    var query = (cameraFilter.value || "").trim().toLowerCase();
    var matching = cameras.filter(function (c) {
      return !query || (c.name + " " + c.district + " " + c.code).toLowerCase().indexOf(query) >= 0;
    });
    // Cameras with a picture first, then by name.
    matching.sort(function (a, b) {
      return (b.snapshot_url ? 1 : 0) - (a.snapshot_url ? 1 : 0) || a.name.localeCompare(b.name);
    });
    cameraList.textContent = "";
    matching.slice(0, CAMERA_LIMIT).forEach(function (camera) { cameraList.appendChild(cameraItem(camera)); });
    renderEmpty(cameraList);
    cameraStatus.textContent = cameras.length
      ? t("cameras_count", { shown: Math.min(matching.length, CAMERA_LIMIT), total: cameras.length }) : "";
  }

  function drawCameras() {
    cameraLayers.forEach(function (group) {
      group.clearLayers();
      cameras.forEach(function (camera) {
        L.circleMarker([camera.lat, camera.lon], {
          radius: 4, color: camera.online ? "#0b5f73" : "#888", weight: 1,
          fillColor: camera.online ? "#5fb8c9" : "#ccc", fillOpacity: 0.9, bubblingMouseEvents: false,
        }).bindPopup(el("div", null, camera.name)).on("click", function () {
          cameraFilter.value = camera.name;
          renderCameras();
        }).addTo(group);
      });
    });
  }

  function loadCameras() {
    return getJSON(urls.cameras).then(function (list) {
      cameras = list;
      drawCameras();
      if (shown.cameras) renderCameras();
    }).catch(function () { /* the list stays as it was */ });
  }

  cameraFilter.addEventListener("input", renderCameras);
  onShow.cameras = function (first) {
    if (!first) { cameraMap.invalidateSize(); renderCameras(); return; }
    cameraMap = baseMap(document.getElementById("camera-map"));
    cameraLayers.push(L.layerGroup().addTo(cameraMap));
    loadCameras().then(renderCameras);
  };
  window.setInterval(function () { if (shown.cameras) loadCameras(); }, 60000);

  // ---------------------------------------------------------------- reports tab

  var reportList = document.getElementById("report-list");
  var reports = {};

  function renderReports() {
    reportList.textContent = "";
    var items = Object.keys(reports).map(function (id) { return reports[id]; });
    items.sort(function (a, b) { return String(b.received_at || "").localeCompare(String(a.received_at || "")); });
    items.forEach(function (report) {
      var item = el("li", "report-item");
      item.appendChild(el("strong", null, t("report_" + report.category)));
      var status = report.status || report.new_status || "new";
      item.appendChild(el("span", "meta", t("status_" + status) +
        (report.received_at ? " · " + clock(report.received_at) : "")));
      reportList.appendChild(item);
    });
    renderEmpty(reportList);
    if (reportLayer) {
      reportLayer.clearLayers();
      items.forEach(function (report) {
        if (report.lat === undefined) return;
        L.circleMarker([report.lat, report.lon], {
          radius: 6, color: "#6b4300", weight: 2, fillColor: "#f5a623", fillOpacity: 0.9,
          bubblingMouseEvents: false,
        }).bindPopup(el("div", null, t("report_" + report.category))).addTo(reportLayer);
      });
    }
  }

  function loadReports() {
    getJSON(urls.reports).then(function (list) {
      list.forEach(function (report) { reports[report.report_id] = report; });
      renderReports();
    }).catch(function () { renderReports(); });
  }
  onShow.reports = function (first) { if (first) loadReports(); };

  // ---------------------------------------------------------------- live stream

  var liveStatus = document.getElementById("live-status");
  var source = null;
  function connect() {
    if (!window.EventSource) return;
    if (source) source.close();
    source = new EventSource(urls.stream);
    source.addEventListener("open", function () {
      liveStatus.textContent = t("live");
      liveStatus.classList.add("is-live");
    });
    source.addEventListener("error", function () {
      liveStatus.textContent = t("offline");
      liveStatus.classList.remove("is-live");
    });
    source.addEventListener("snapshot", function (event) {
      var data = JSON.parse(event.data);
      subscriptions = data.subscriptions;
      mine = {};
      data.mine.forEach(function (alert) { mine[alert.id] = alert; });
      renderMine();
      renderSubscriptions();
      cityAlerts = {};
      if (alertLayer) alertLayer.clearLayers();
      alertMarkers = {};
      (data.all || []).forEach(function (alert) {
        cityAlerts[alert.id] = alert;
        drawCityAlert(alert);
      });
    });
    source.addEventListener("alert", function (event) {
      var alert = JSON.parse(event.data);
      var isNew = !mine[alert.id];
      if (alert.status === "active") mine[alert.id] = alert; else delete mine[alert.id];
      renderMine();
      if (isNew && alert.status === "active") toast(t("new_alert", { text: alertText(alert) }));
    });
    source.addEventListener("city-alert", function (event) {
      var alert = JSON.parse(event.data);
      if (alert.status === "active") cityAlerts[alert.id] = alert; else delete cityAlerts[alert.id];
      drawCityAlert(alert);
    });
    source.addEventListener("speeds", refreshTraffic);
    source.addEventListener("incident", loadIncidents);
    source.addEventListener("report", function (event) {
      var report = JSON.parse(event.data);
      var known = reports[report.report_id] || {};
      if (report.new_status) report.status = report.new_status;
      reports[report.report_id] = Object.assign(known, report, {
        received_at: known.received_at || new Date().toISOString(),
      });
      renderReports();
    });
  }

  var toasts = document.getElementById("toasts");
  function toast(text) {
    if (!toasts) return;
    var node = el("div", "toast toast-info", text);
    node.setAttribute("role", "status");
    toasts.appendChild(node);
    window.setTimeout(function () { node.remove(); }, 8000);
  }

  // ---------------------------------------------------------------- start

  function tabOfHash() {
    var wanted = (window.location.hash || "#map").slice(1);
    return tabs.filter(function (tab) { return tab.dataset.tab === wanted; })[0];
  }
  // a link to a tab, or a notification opening /traffic#alerts in this window
  window.addEventListener("hashchange", function () {
    var tab = tabOfHash();
    if (tab) select(tab, false);
  });
  select(tabOfHash() || tabs[0], false);
  connect();
})();
