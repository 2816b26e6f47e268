"""Under /api/ a path that matches no route (an id that is not a number, a typo) answers the API's
JSON error, not the HTML page meant for people."""

from __future__ import annotations

from django.http import JsonResponse


class ApiNotFoundMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path.startswith("/api/")
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return JsonResponse({"status": 404, "code": "not_found", "detail": "Not found."}, status=404)
        return response
