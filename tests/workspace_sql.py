"""Whether a statement keeps to one workspace, read from its SQL (docs/scale-out.md, "The rule").

The rule: in each statement, every occurrence of a tenant table (a table with workspace_id, in
any FROM, JOIN or subquery) has its `workspace_id` tied to the others' by equalities that must
all hold, each `a.workspace_id = b.workspace_id` or `a.workspace_id = <constant>`, in a WHERE, ON
or HAVING where only ANDs lead to it (an equality under OR or NOT ties nothing). Tied occurrences
form one class; the statement keeps to one workspace when all of them fall in one class. Then
Citus runs it as a co-located join; when the class also holds a constant, it is routed to the one
node holding that workspace ("single-shard"). A statement naming one tenant table once always
keeps to one workspace; it is single-shard only with a constant. An INSERT whose rows all give
one constant workspace (in VALUES, or in the select list of INSERT ... SELECT) writes to one node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

WORKSPACE = "workspace_id"


@dataclass
class Verdict:
    sql: str
    tenant_tables: list[str]
    one_workspace: bool
    single_shard: bool
    notes: list[str] = field(default_factory=list)


class _Classes:
    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, item):
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a, b) -> None:
        self.parent[self.find(a)] = self.find(b)


def _conjuncts(condition: exp.Expression | None):
    """The terms that all must hold: descend through AND and parentheses only."""
    if condition is None:
        return
    if isinstance(condition, exp.Paren):
        yield from _conjuncts(condition.this)
    elif isinstance(condition, exp.And):
        yield from _conjuncts(condition.left)
        yield from _conjuncts(condition.right)
    else:
        yield condition


_SCOPES = (exp.Select, exp.Update, exp.Delete, exp.Insert)


def _scope_tables(node: exp.Expression) -> list[exp.Table]:
    """The tables this statement (not its subqueries) reads or writes, with their aliases."""
    found = []
    for table in node.find_all(exp.Table):
        if table.find_ancestor(exp.Lock):
            continue  # FOR UPDATE OF t names a table already in the FROM
        owner = table.parent
        while owner is not None and not isinstance(owner, _SCOPES):
            owner = owner.parent
        if owner is node:
            found.append(table)
    return found


def _conditions(node: exp.Expression):
    for key in ("where", "having"):
        clause = node.args.get(key)
        if clause is not None:
            yield clause.this
    for join in node.args.get("joins") or []:
        yield join.args.get("on")
    source = node.args.get("from")
    if isinstance(node, exp.Update | exp.Delete) and source is not None:
        for join in source.args.get("joins") or []:
            yield join.args.get("on")


def _in_pairs(condition: exp.In):
    """`x IN (v)` ties x to v; `(a, b) IN (SELECT c, d ...)` ties a to c and b to d."""
    query = condition.args.get("query")
    if query is not None:
        select = query.this if isinstance(query, exp.Subquery) else query
        if not isinstance(select, exp.Select):
            return []
        left = condition.this.expressions if isinstance(condition.this, exp.Tuple) else [condition.this]
        return (
            list(zip(left, select.expressions, strict=False)) if len(left) == len(select.expressions) else []
        )
    if len(condition.expressions) == 1:
        return [(condition.this, condition.expressions[0])]
    return []


def _leading(expressions: list) -> int:
    """How many select-list entries keep their position: those before a `*`."""
    for index, expression in enumerate(expressions):
        if isinstance(expression, exp.Star) or (isinstance(expression, exp.Column) and expression.is_star):
            return index
    return len(expressions)


def _tie_inserted_rows(tree: exp.Expression, scopes: dict, classes: _Classes) -> None:
    """INSERT ... VALUES whose rows all name one workspace, or INSERT ... SELECT whose select
    list names one as a constant, writes that workspace's rows only."""
    if not isinstance(tree, exp.Insert):
        return
    schema = tree.this
    columns = [column.name for column in schema.expressions] if isinstance(schema, exp.Schema) else []
    occurrence = next((value for value in scopes[id(tree)].values() if value is not None), None)
    if WORKSPACE not in columns or occurrence is None:
        return
    position = columns.index(WORKSPACE)
    source = tree.expression
    if isinstance(source, exp.Values):
        values = {row.expressions[position].sql() for row in source.expressions}
    elif isinstance(source, exp.Select) and _leading(source.expressions) > position:
        chosen = source.expressions[position]
        while isinstance(chosen, exp.Paren | exp.Cast | exp.Alias):
            chosen = chosen.this
        values = {chosen.this} if isinstance(chosen, exp.Literal) else set()
    else:
        values = set()
    if len(values) == 1:
        classes.union(("ws", occurrence), ("const", values.pop()))


def verdict(sql: str, tenant: set[str]) -> Verdict:
    tree = sqlglot.parse_one(sql, read="postgres")
    classes = _Classes()
    occurrences: list[tuple[int, str]] = []
    # Each statement node's alias -> occurrence id; columns resolve in their statement, then outward.
    scopes: dict[int, dict[str, int]] = {}
    for node in tree.find_all(*_SCOPES):
        names = {}
        for table in _scope_tables(node):
            if table.name in tenant:
                occurrence = len(occurrences)
                occurrences.append((occurrence, table.name))
                names[table.alias_or_name] = occurrence
                classes.find(("ws", occurrence))
            else:
                names[table.alias_or_name] = None
        scopes[id(node)] = names

    def resolve(column: exp.Column):
        if column.name != WORKSPACE:
            return None
        node = column.parent
        while node is not None:
            if isinstance(node, _SCOPES):
                names = scopes[id(node)]
                qualifier = column.table
                if qualifier and qualifier in names:
                    return None if names[qualifier] is None else ("ws", names[qualifier])
                if not qualifier:
                    tenants = [value for value in names.values() if value is not None]
                    return ("ws", tenants[0]) if len(tenants) == 1 and len(names) == 1 else None
            node = node.parent
        return None

    def term(side: exp.Expression):
        while isinstance(side, exp.Paren | exp.Cast):
            side = side.this
        if isinstance(side, exp.Column):
            return resolve(side)
        if isinstance(side, exp.Literal):
            return ("const", side.this)
        return None

    for node in tree.find_all(*_SCOPES):
        for condition in _conditions(node):
            for conjunct in _conjuncts(condition):
                if isinstance(conjunct, exp.EQ):
                    left, right = term(conjunct.left), term(conjunct.right)
                    if left and right and "ws" in (left[0], right[0]):
                        classes.union(left, right)
                elif isinstance(conjunct, exp.In):
                    for left, right in _in_pairs(conjunct):
                        left, right = term(left), term(right)
                        if left and right and "ws" in (left[0], right[0]):
                            classes.union(left, right)
    _tie_inserted_rows(tree, scopes, classes)
    roots = {classes.find(("ws", occurrence)) for occurrence, _ in occurrences}
    constants = {classes.find(item) for item in classes.parent if item[0] == "const"}
    one = len(roots) <= 1
    single = one and bool(roots) and roots <= constants
    return Verdict(sql, [name for _, name in occurrences], one, single)


def tenant_tables() -> set[str]:
    """The distributed tables (memberships carry a workspace but are copied to every node)."""
    from django.db import connection

    from cxm.db.plan import DISTRIBUTED, placements

    with connection.cursor() as cursor:
        return {placement.table for placement in placements(cursor) if placement.kind == DISTRIBUTED}


def verdicts(captured) -> list[Verdict]:
    """The verdict on each captured statement that names a tenant table."""
    tenant = tenant_tables()
    found = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if any(table in sql for table in tenant):
            judged = verdict(sql, tenant)
            if judged.tenant_tables:
                found.append(judged)
    return found


def crossing(found: list[Verdict]) -> list[str]:
    """Statements that join tenant tables across workspaces (or may)."""
    return [judged.sql for judged in found if not judged.one_workspace]


def fanning_out(found: list[Verdict]) -> list[str]:
    """Statements no workspace constant routes to one node."""
    return [judged.sql for judged in found if not judged.single_shard]


def problems(found: list[Verdict], *, scans: int = 0) -> str:
    """Every statement that breaks the rule, in full, or "" when none does; `scans` is how many
    statements may read every workspace (one table each, never joined across workspaces)."""
    lines = [f"joins across workspaces:\n{sql}" for sql in crossing(found)]
    spread = fanning_out(found)
    if len(spread) != scans:
        lines += [f"reads every workspace ({len(spread)} such, {scans} expected):\n{sql}" for sql in spread]
    return "\n\n".join(lines)
