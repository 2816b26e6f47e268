"""Background work stays inside one workspace.

A Celery task that acts on a workspace's object takes the workspace id with the object's id and
re-reads the object scoped to it; tasks and management commands never look a workspace's object
up by id alone. The scan below reads every `tasks.py` and management command and fails on
`<TenantModel>.objects.get(pk=...)`, `.filter(id=...)`, `get_object_or_404(<TenantModel>, pk=...)`
without a workspace filter in the same chain of calls.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
ID_KEYWORDS = {"pk", "id", "pk__in", "id__in"}


@dataclass(frozen=True)
class Lookup:
    path: str
    line: int
    model: str
    code: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.model}: {self.code}"


def tenant_model_names() -> set[str]:
    """Models that belong to a workspace: they have a `workspace` foreign key or `workspace_id`."""
    names = set()
    for model in apps.get_models():
        fields = {f.name for f in model._meta.get_fields()} | {
            getattr(f, "attname", "") for f in model._meta.get_fields()
        }
        if "workspace" in fields or "workspace_id" in fields:
            names.add(model.__name__)
    return names


def _name_of(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _chain(call: ast.Call) -> tuple[str | None, list[ast.Call], ast.AST | None]:
    """Walk `Model.objects.a(...).b(...)` down to `Model`: (model name, calls, the `objects` node)."""
    calls = []
    node: ast.AST = call
    while True:
        if isinstance(node, ast.Call):
            calls.append(node)
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr == "objects":
                return _name_of(node.value), calls, node
            node = node.value
        else:
            return None, calls, None


def _scoped(calls: list[ast.Call]) -> bool:
    for call in calls:
        if any(k.arg and k.arg.startswith("workspace") for k in call.keywords):
            return True
        if isinstance(call.func, ast.Attribute) and "workspace" in call.func.attr:
            return True  # a scoping manager method: Ad.objects.for_workspace(workspace)
    return False


def unscoped_lookups(source: str, path: str, tenant_models: set[str]) -> list[Lookup]:
    found = []
    seen_chains = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        if _name_of(node.func) == "get_object_or_404" and node.args:
            model = _name_of(node.args[0])
            keywords = {k.arg for k in node.keywords}
            if model in tenant_models and keywords & ID_KEYWORDS and not _scoped([node]):
                found.append(Lookup(path, node.lineno, model, ast.unparse(node)))
            continue
        model, calls, objects_node = _chain(node)
        # ast.walk meets the outermost call of a chain first: judge the whole chain once
        if objects_node is None or id(objects_node) in seen_chains:
            continue
        seen_chains.add(id(objects_node))
        if model not in tenant_models:
            continue
        by_id = any(k.arg in ID_KEYWORDS for call in calls for k in call.keywords)
        if by_id and not _scoped(calls):
            found.append(Lookup(path, node.lineno, model, ast.unparse(node)))
    return found


def scanned_files() -> list[Path]:
    files = []
    for pattern in ("**/tasks.py", "**/management/commands/*.py"):
        files += [p for p in ROOT.glob(pattern) if ".venv" not in p.parts and "tests" not in p.parts]
    return sorted(files)


def test_the_scan_reads_every_tasks_module():
    names = {str(p.relative_to(ROOT)) for p in scanned_files()}
    assert {"care/tasks.py", "publishing/tasks.py", "ads/tasks.py", "listening/tasks.py"} <= names


def test_tasks_and_commands_never_look_up_a_workspace_object_by_id_alone():
    tenant_models = tenant_model_names()
    found = []
    for path in scanned_files():
        found += unscoped_lookups(path.read_text(), str(path.relative_to(ROOT)), tenant_models)
    assert not found, "Lookups by id without a workspace filter:\n" + "\n".join(map(str, found))


def test_the_scan_catches_a_planted_unscoped_lookup(tmp_path):
    planted = tmp_path / "tasks.py"
    planted.write_text(
        textwrap.dedent(
            """
            from django.shortcuts import get_object_or_404
            from care.models import Case, Message
            from ads import models

            def leaky(case_id, message_id, ad_id, workspace_id):
                case = Case.objects.get(pk=case_id)
                messages = Message.objects.filter(id__in=[message_id]).order_by("pk")
                ad = get_object_or_404(models.Ad, pk=ad_id)
                return case, messages, ad

            def careful(case_id, message_id, ad_id, workspace_id):
                case = Case.objects.filter(workspace_id=workspace_id).get(pk=case_id)
                messages = Message.objects.filter(workspace_id=workspace_id, id__in=[message_id])
                ad = models.Ad.objects.for_workspace(workspace_id).get(pk=ad_id)
                ad = get_object_or_404(models.Ad, pk=ad_id, workspace_id=workspace_id)
                return case, messages, ad
            """
        )
    )
    found = unscoped_lookups(planted.read_text(), "tasks.py", tenant_model_names())
    assert [(f.line, f.model) for f in found] == [(7, "Case"), (8, "Message"), (9, "Ad")]


def test_tenant_models_are_found_in_the_app_registry():
    names = tenant_model_names()
    assert {"Case", "Message", "Post", "Mention", "Ad", "ChannelAccount"} <= names
    assert "Workspace" not in names


def _registered_tasks():
    from cxm.celery import app

    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def _object_id_parameters(task) -> list[str]:
    parameters = inspect.signature(task.run).parameters
    return [
        name
        for name in parameters
        if (name.endswith("_id") or name.endswith("_ids")) and name != "workspace_id"
    ]


def tasks_without_workspace(tasks: dict) -> list[str]:
    """`name(object ids)` of each task that takes an object id but no workspace id."""
    missing = []
    for name, task in sorted(tasks.items()):
        ids = _object_id_parameters(task)
        if ids and "workspace_id" not in inspect.signature(task.run).parameters:
            missing.append(f"{name}({', '.join(ids)})")
    return missing


def test_every_task_taking_an_object_id_takes_the_workspace_id():
    tasks = _registered_tasks()
    assert len(tasks) > 10
    missing = tasks_without_workspace(tasks)
    assert not missing, "Tasks that take an object id but no workspace id:\n" + "\n".join(missing)


def test_the_check_catches_a_task_taking_an_object_id_without_the_workspace_id():
    def leaky(*, campaign_id: int) -> None: ...

    def leaky_batch(*, target_ids: list[int], dry_run: bool = False) -> None: ...

    def careful(*, campaign_id: int, workspace_id: int) -> None: ...

    def per_workspace(*, workspace_id: int) -> None: ...

    def beat() -> None: ...

    planted = {
        name: SimpleNamespace(run=run)
        for name, run in {
            "ads.leaky": leaky,
            "publishing.leaky_batch": leaky_batch,
            "ads.careful": careful,
            "ads.per_workspace": per_workspace,
            "ads.beat": beat,
        }.items()
    }
    assert tasks_without_workspace(planted) == [
        "ads.leaky(campaign_id)",
        "publishing.leaky_batch(target_ids)",
    ]
