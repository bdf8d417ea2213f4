/* Web shell behaviour shared by every page (no inline scripts: the CSP forbids them). */
(function () {
  "use strict";

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');

  // HTMX requests carry the CSRF token as a header.
  document.addEventListener("htmx:configRequest", function (event) {
    if (csrfMeta) {
      event.detail.headers["X-CSRF-Token"] = csrfMeta.getAttribute("content");
    }
  });

  // Error toasts (see partials/toast.html): close on click, fade out after a while.
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".toast-close");
    if (button) {
      var toast = button.closest(".toast");
      if (toast) toast.remove();
    }
  });

  // The mobile menu (<details>) closes with Escape and when the user taps elsewhere.
  var menu = document.querySelector("details.menu");
  if (menu) {
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
  }

  // Installable app: the service worker caches the shell for offline use.
  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
        /* Offline support is an extra; the site works without it. */
      });
    });
  }
})();
