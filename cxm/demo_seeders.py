"""What else a fresh demo install seeds. Tenancy seeds the platform (the admin, the Demo workspace
and its brands); a kernel app with demo data of its own registers a seeder when its app loads, so
tenancy never imports it:

    channels -> the demo-network accounts, so the stream lives from the first minute, and the
                demo brand's website chat, which the demo site (/demo/site/) embeds
                                                                           (cxm/channels/apps.py)

`platform_bootstrap` calls every seeder with the Demo workspace, inside its transaction, when
CXM_DEMO is on.
"""

from __future__ import annotations

from typing import Any, Protocol


class DemoSeeder(Protocol):
    def __call__(self, *, workspace: Any) -> Any:
        """Seed the workspace's demo data; running it again adds nothing twice."""
        ...


_SEEDERS: dict[str, DemoSeeder] = {}


def register_demo_seeder(name: str, seeder: DemoSeeder) -> None:
    _SEEDERS[name] = seeder


def demo_seeders() -> dict[str, DemoSeeder]:
    return dict(_SEEDERS)


def demo_seed(*, workspace: Any) -> None:
    """Run every registered seeder on `workspace`."""
    for seeder in list(_SEEDERS.values()):
        seeder(workspace=workspace)
