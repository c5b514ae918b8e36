// The API's documentation page: Swagger UI on the app's own OpenAPI document (no inline
// script, so the page keeps the app's Content-Security-Policy).
window.addEventListener("load", function () {
  window.ui = window.SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
  });
});
