# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run run-standins test fuzz lint migrate messages compose-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,embedded]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/cxm run

# The platform beside local stand-ins for Facebook Login and Graph: try "Connect Facebook &
# Instagram" end to end without a Meta app (see docs/connectors.md).
run-standins: $(STAMP)
	$(BIN)/python -m tests.standins

test: $(STAMP)
	$(BIN)/cxm test

# Schemathesis over the whole API with many more examples per operation than the suite runs
# (CXM_FUZZ_EXAMPLES, default 300) and more stateful scenarios (CXM_FUZZ_SCENARIOS, default 200).
fuzz: $(STAMP)
	CXM_FUZZ_EXAMPLES=$${CXM_FUZZ_EXAMPLES:-300} CXM_FUZZ_SCENARIOS=$${CXM_FUZZ_SCENARIOS:-200} \
		$(BIN)/cxm test tests/kernel/test_api_schemathesis.py -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

migrate: $(STAMP)
	$(BIN)/cxm migrate

messages: $(STAMP)
	$(BIN)/cxm manage makemessages -l id --ignore '.venv/*' --ignore 'var/*'
	$(BIN)/cxm manage compilemessages --ignore '.venv/*'

compose-check:
	docker compose config --quiet 2>/dev/null || docker-compose config --quiet

clean:
	rm -rf $(VENV) var
