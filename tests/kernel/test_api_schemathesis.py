"""The OpenAPI document at /api/schema/ is the API's contract: Schemathesis generates requests
from it for every operation (schema examples, the coverage phase's boundary and invalid values,
and random fuzzing) and runs every check on each answer: no server error, status codes, content
types, headers and bodies as documented, invalid input refused, valid input accepted.

It runs in-process against the Django application, as an admin of a workspace holding a few real
objects and, for the operations that show platform data, an ad account synced from the Graph API
stand-in whose objects leave out optional fields (a creative without a link, an ad set without
targeting, a comment without its author). Every check stays on, status_code_conformance among
them: an answer whose status the document does not list fails.

The suite runs 25 generated examples of every operation (the fuzzing phase) besides the schema's
examples; `make fuzz` runs the same tests with CXM_FUZZ_EXAMPLES examples each, the coverage
phase's boundary and invalid values of every parameter, and more stateful scenarios.
"""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from cxm.api.services import api_token_issue
from cxm.wsgi import application
from tests.ads.stubs.sparse import sparse_ad_account_sync
from tests.factories import MembershipFactory

EXAMPLES_PER_OPERATION = int(os.environ.get("CXM_FUZZ_EXAMPLES") or 25)
DEEP = EXAMPLES_PER_OPERATION > 25
STATEFUL_SCENARIOS = int(os.environ.get("CXM_FUZZ_SCENARIOS") or 30)
# The operations that show data read from a platform get an ad account synced from the stand-in.
PLATFORM_DATA_PATHS = ("/api/v1/ads/", "/api/v1/accounts/", "/api/v1/mentions/")

# A schema says what a well-formed request looks like, not which objects exist or what the data
# already holds. A schema-valid request may still be refused with 400 for one of these reasons,
# and for no other: each names a field whose value is well formed but refers to something absent
# or clashes with something present. Any other 400 to a schema-valid request is a failure.
STATE_DEPENDENT_REASONS = re.compile(
    "|".join(
        [
            r"^Invalid pk .* object does not exist\.$",
            r"^Object with .* does not exist\.$",
            r"already exists\.$",
            r"exists already\.$",
            r"^No such ",
            r"^Unable to log in with those credentials\.$",
            r"not a cursor this API gave out$",
            r"^This user is already a member of the workspace\.$",
            r"^A workspace keeps at least one admin\.$",
            r"^Move or delete this business unit's brands first\.$",
            r"^This round is closed",
            r"^This capability already has someone accountable",
            r"^Already assigned\.$",
            # Whether a post went out on an account (so that it can be taken down) is stored state.
            r"^This post is not published on any account",
            r"^Only a published post can be deleted from its platform",
            # An ad read from the platform (or launched) keeps its creative; whether it was is
            # stored state.
            r"^A launched ad keeps its creative; add a new ad instead\.$",
            # An outbound URL is judged by where its name resolves now and by the workspace's
            # allowance for private targets (cxm.channels.outbound), neither of which a schema says.
            r" does not resolve to any address; check the URL\.$",
            r" is a private, loopback or otherwise internal address ",
            # Rules between fields, which the document states in words: a post needs a text or
            # a variant, a window ends after it starts.
            r"^Write the post's text\.$",
            r"^The end must be after the start\.$",
            r"^Give the id of the business unit or account to pause\.$",
            # Judged against the clock.
            r"^This window is already over\.$",
            r"^Select variants by ids or by a filter\.$",
            r"^rule .*: (needs terms or patterns|a prohibited category rule needs categories|bad pattern )",
            # An upload is bytes to the document; what the CSV must hold is said in words.
            r"^Not a readable CSV file",
            # An empty file is bytes the document allows, and no report.
            r"^Upload the report \(CSV\)\.$",
            r": required column is missing$",
            r"^The first row must name the columns",
            r"^No header row found\.$",
            # What each platform needs to connect (its server's address, its kind of credential).
            r"^The server's address is required",
            r"^Give the full address, starting with https://\.$",
            r"^(Mastodon|Bluesky|Email|A Meta ad account|RSS|A Facebook Page|An Instagram account"
            r"|A WhatsApp number|A Telegram bot|A YouTube channel|An X account) needs ",
            r"^Give the (ad account id|Page id|Instagram user id|WhatsApp phone number id|YouTube channel id)",
            r"^The bot_token is not in the form @BotFather gives",
            # A Telegram bot is connected by asking Telegram about its token: what Telegram answers
            # (or that it cannot be reached) is its state, not the request's shape.
            r"^Telegram did not accept the bot_token",
            r"^Telegram could not check the bot_token now",
            r"^This bot_token belongs to ",
            r"^Telegram refused to send this bot's updates ",
            # The document says `format: uri`; a web address must also have a host name with a
            # top-level domain and an http(s) scheme, as Django's URLValidator checks.
            r"^Enter a valid URL\.$",
            # Text fields are trimmed before their length is checked, so text of spaces (or of
            # characters Python counts as spaces) is blank to the API while the document's
            # minLength counts it.
            r"^This field may not be blank\.$",
            r"^Ensure this field has at least \d+ characters\.$",
            # PostgreSQL's text cannot hold U+0000, which JSON strings may.
            r"^Null characters (\(U\+0000\) )?are not allowed\.$",
            # A topic's query is in the listening query language, whose grammar is in the docs.
            r" \(at character \d+\)$",
            # JSON strings may hold lone UTF-16 surrogates, which no text column can store; a
            # schema has no way to exclude them.
            r"^Lone surrogate characters are not allowed\.$",
            r"^Surrogate characters are not allowed",
            # Nesting depth is a property of the whole body (any free-form object or list), which
            # a schema cannot bound.
            r"^Nested deeper than \d+ levels\.$",
        ]
    ),
    # A value quoted in a message may hold line breaks.
    re.DOTALL,
)


def _reasons(body) -> list[str]:
    """The messages of a 400: per field, or per row of an import report."""
    if not isinstance(body, dict):
        return []
    if isinstance(body.get("fields"), dict):
        return [str(message) for messages in body["fields"].values() for message in messages]
    if isinstance(body.get("errors"), list):
        return [str(error.get("message")) for error in body["errors"] if isinstance(error, dict)]
    return []


def schema_valid_requests_accepted(ctx, response, case):
    """Schemathesis's own positive-data check, except for refusals that depend on stored data."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 400:
            body = response.json()
            if isinstance(body, dict) and body.get("created") == [] and "errors" in body:
                # A bulk import whose every row was refused, each with its number and reason: what
                # the rows hold is data the schema cannot describe.
                return None
            reasons = _reasons(body)
            if reasons and all(STATE_DEPENDENT_REASONS.search(reason) for reason in reasons):
                return None
        raise


def server_errors_only_relay_a_platform(ctx, response, case):
    """No 5xx, except the documented 502 of an action that calls a platform (hide an ad comment,
    check an account) and relays the platform's refusal: the stored data includes accounts whose
    stand-in is gone, and saying so is the documented answer."""
    if response.status_code == 502 and "502" in (case.operation.definition.raw.get("responses") or {}):
        try:
            code = response.json().get("code")
        except ValueError:
            code = None
        if code == "platform_error":
            return None
    return not_a_server_error(ctx, response, case)


def _served_document() -> dict:
    """The document /api/schema/ serves, built the way its view builds it."""
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


schema = schemathesis.openapi.from_dict(_served_document())
schema.app = application
# The coverage phase (every boundary and invalid value of every parameter, hundreds of requests
# per operation) runs under `make fuzz`; the suite runs the schema's examples and the fuzzing phase.
schema.config.phases.coverage.enabled = DEEP


@pytest.fixture(autouse=True)
def _connection_kept_between_requests():
    # Like Django's test client: the test's connection holds its transaction, so the end of a
    # request must not close it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_fuzzed_document_is_the_one_served(client, db):
    served = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert served == _served_document()


# The admin whose token the requests carry; each test issues its own, in its own transaction.
_signed_in: dict[str, str] = {}


@schema.auth(refresh_interval=None)
class AdminToken:
    """Told to Schemathesis as the API's authentication, so its checks also try the operations
    without it and with a wrong one, and expect 401."""

    def get(self, case, context):
        return dict(_signed_in)

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), **data}


@pytest.fixture
def admin_headers(db, workspace_a, request):
    membership = MembershipFactory(workspace=workspace_a, role="admin")
    if "chained" in request.node.name or any(path in request.node.name for path in PLATFORM_DATA_PATHS):
        sparse_ad_account_sync(workspace=workspace_a)
    key = api_token_issue(user=membership.user)
    _signed_in.update({"Authorization": f"Token {key}", "X-Workspace": str(workspace_a.pk)})
    yield dict(_signed_in)
    _signed_in.clear()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@pytest.mark.django_db
def test_every_operation_answers_as_documented(case, admin_headers):
    case.call_and_validate(
        excluded_checks=[positive_data_acceptance, not_a_server_error],
        additional_checks=[schema_valid_requests_accepted, server_errors_only_relay_a_platform],
    )


@pytest.mark.django_db
def test_operations_chained_by_their_links_answer_as_documented(admin_headers):
    """The stateful phase: sequences of calls where one answer's ids feed the next request."""

    class Workflow(schema.as_state_machine()):
        # Each scenario starts from the same data, so replaying one gives the same answers.
        def setup(self):
            self._scenario = transaction.atomic()
            self._scenario.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self._scenario.__exit__(None, None, None)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                excluded_checks=[positive_data_acceptance, not_a_server_error],
                additional_checks=[
                    schema_valid_requests_accepted,
                    server_errors_only_relay_a_platform,
                    *(additional_checks or []),
                ],
            )

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )
