// The API page (/api/v1/docs): Swagger UI drawing /api/v1/openapi.json. A file, not an inline
// script, and the plain layout without the standalone preset (whose inline <style> the CSP refuses).
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null,
    // "Try it out" sends requests with the browser's session, as the page's own user.
    withCredentials: true,
  });
})();
