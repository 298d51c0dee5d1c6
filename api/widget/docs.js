// Starts Swagger UI for /docs from a file, not an inline script, so the page works under the app's CSP
// (script-src 'self'). The OpenAPI address comes from the script tag's data-openapi attribute.
(function () {
  "use strict";
  var openapi = document.currentScript.getAttribute("data-openapi");
  window.addEventListener("load", function () {
    window.ui = SwaggerUIBundle({
      url: openapi,
      dom_id: "#swagger-ui",
      layout: "BaseLayout",
      deepLinking: true,
      showExtensions: true,
      showCommonExtensions: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    });
  });
})();
