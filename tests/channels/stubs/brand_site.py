"""A brand's own website on loopback, on an origin of its own: one page that embeds whatever
snippet the test gives it (the website chat's script tag), as a brand's pages would.

    with BrandSite() as site:
        site.snippet = '<script src="http://localhost:8081/static/webchat/widget.js" ...></script>'
        page.goto(site.base_url + "/")
"""

from __future__ import annotations

from tests.stub_server import Answer, StubServer

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kopi Nusantara</title></head>
<body>
<h1>Kopi Nusantara</h1>
<p>Single-origin beans from across the archipelago.</p>
{snippet}
</body>
</html>
"""


class BrandSite(StubServer):
    name = "brand-site"

    def __init__(self) -> None:
        super().__init__()
        self.snippet = ""
        self.route("GET", r"/", self._page)
        self.route("GET", r"/products", self._page)
        self.route("GET", r"/favicon.ico", lambda request: Answer(204, b""))

    def _page(self, request) -> Answer:
        body = PAGE.format(snippet=self.snippet).encode()
        return Answer(200, body, {"Content-Type": "text/html; charset=utf-8"})
