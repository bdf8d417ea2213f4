/* Service worker of the HCMC Smart City Platform (served at /sw.js with
   Service-Worker-Allowed: /; placeholders are filled by smartcity.web.views).
   - pre-caches the shell: home page, offline page, our CSS/JS, Leaflet, htmx, icons;
   - pages: network first, falling back to the cached copy, then to /offline;
   - /static: cache first (URLs carry a content hash);
   - never touches /api, other machine endpoints, other origins or anything but GET. */
"use strict";

var CACHE = "smartcity-shell-__VERSION__";
var SHELL_URLS = "__SHELL_URLS__";
var SHELL_PAGES = "__SHELL_PAGES__";
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
