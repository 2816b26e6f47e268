"""The image's build step: every static file collects into hashed names (the Dockerfile runs
collectstatic with CXM_STATIC_MANIFEST=1), so a reference to a file that is not shipped fails here
rather than in the image build."""

from __future__ import annotations

from django.core.management import call_command


def test_every_static_file_collects_with_hashed_names(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

    call_command("collectstatic", interactive=False, verbosity=0)

    assert (tmp_path / "staticfiles.json").exists()
    assert list((tmp_path / "vendor" / "chartjs").glob("chart.umd.min.*.js"))
