/* Service worker of the HCMC Smart City Platform (served at /sw.js with
   Service-Worker-Allowed: /; placeholders are filled by smartcity.web.views).
   - pre-caches the shell: home page, offline page, our CSS/JS, Leaflet, htmx, icons;
   - pages: network first, falling back to the cached copy, then to /offline;
   - /static: cache first (URLs carry a content hash);
   - never touches /api, other machine endpoints, other origins or anything but GET;
   - shows Web Push notifications (JSON: title, body, tag, url, lang) and opens their page. */
"use strict";

var CACHE = "smartcity-shell-__VERSION__";
var SHELL_URLS = "__SHELL_URLS__";
var SHELL_PAGES = "__SHELL_PAGES__";
var ICON = "__ICON__";
var MACHINE_PREFIXES = ["/api/", "/open311/", "/fhir/", "/tiles/", "/files/", "/healthz", "/readyz"];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.addAll(SHELL_URLS); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf("smartcity-shell-") === 0 && name !== CACHE;
        }).map(function (name) { return caches.delete(name); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

function isMachinePath(path) {
  return MACHINE_PREFIXES.some(function (prefix) { return path.indexOf(prefix) === 0; });
}

function networkFirstPage(request, path) {
  return fetch(request)
    .then(function (response) {
      // Only the shell pages are stored: personal pages never land in the cache.
      if (response.ok && SHELL_PAGES.indexOf(path) !== -1) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(path, copy); });
      }
      return response;
    })
    .catch(function () {
      return caches.match(path).then(function (cached) {
        return cached || caches.match("/offline");
      });
    });
}

function cacheFirstStatic(request) {
  return caches.match(request).then(function (cached) {
    if (cached) return cached;
    return fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || isMachinePath(url.pathname)) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(cacheFirstStatic(request));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirstPage(request, url.pathname));
  }
});

self.addEventListener("push", function (event) {
  var data = {};
  if (event.data) {
    try { data = event.data.json(); } catch (error) { data = { body: event.data.text() }; }
  }
  event.waitUntil(self.registration.showNotification(data.title || "TP.HCM", {
    body: data.body || "",
    tag: data.tag,
    renotify: Boolean(data.tag) && data.status === "active",
    lang: data.lang || "vi",
    icon: ICON,
    badge: ICON,
    data: { url: data.url || "/" },
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = new URL((event.notification.data && event.notification.data.url) || "/",
                       self.location.origin);
  if (target.origin !== self.location.origin) target = new URL("/", self.location.origin);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i += 1) {
        if (new URL(windows[i].url).pathname === target.pathname && "focus" in windows[i]) {
          // same page: focus it and move it to the notification's tab (a fragment navigation,
          // no reload); a window this worker does not control just gets the focus
          return windows[i].focus().then(function (client) {
            if (client.url === target.href) return client;
            return client.navigate(target.href).catch(function () { return client; });
          });
        }
      }
      return self.clients.openWindow(target.href);
    })
  );
});
