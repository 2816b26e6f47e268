"""bench/webchat_widget: how many bytes a brand's page downloads for the website chat.

    .venv/bin/python -m bench.webchat_widget

Compresses the widget's script and stylesheet with whitenoise's own compressor, the gzip copy
the Docker image's collected static files carry (`CXM_STATIC_MANIFEST=1`) and whitenoise serves
to a browser sending `Accept-Encoding: gzip` (every browser does), and prints both sizes. Under
`make run` (no manifest) whitenoise serves the files as stored. No database or server is needed.
"""

from __future__ import annotations

from pathlib import Path

from whitenoise.compress import Compressor

STATIC = Path(__file__).resolve().parent.parent / "static" / "webchat"
FILES = ("widget.js", "widget.css")


def sizes() -> list[tuple[str, int, int]]:
    """(file, bytes as stored, bytes gzipped) of each file the widget loads."""
    return [
        (name, len(data), len(Compressor.compress_gzip(data)))
        for name, data in ((name, (STATIC / name).read_bytes()) for name in FILES)
    ]


def main() -> None:
    found = sizes()
    print("website chat, per first page view (the browser caches both files afterwards):")
    for name, raw, gzipped in found:
        print(f"  {name}: {raw:,} bytes stored, {gzipped:,} bytes gzipped")
    print(
        f"  together: {sum(row[1] for row in found):,} bytes stored,"
        f" {sum(row[2] for row in found):,} bytes gzipped"
    )


if __name__ == "__main__":
    main()
