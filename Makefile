# One-command set-up: every target creates ./venv from the pinned requirements when missing.
STACK  ?= dev
PYTHON ?= python3
VENV   := venv
PY     := $(VENV)/bin/python
POLICY_CONFIG := policies/config/$(STACK).json

.PHONY: venv plan test bench up preview smoke lint docs hooks lock clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

## Re-pins constraints.txt to what ./venv resolved (after changing a requirements file).
lock: venv
	{ echo "# Every package ./venv resolves to, pinned so a fresh install matches CI's. Regenerate: make lock"; \
	  $(PY) -m pip freeze --disable-pip-version-check | grep -v -e '^-e' -e '@ file'; } > constraints.txt

## Offline plan of a stack under Pulumi's mock engine: writes build/$(STACK)/.
plan: venv
	$(PY) -m offline --stack $(STACK)

## Unit, component (mock engine) and policy-pack tests.
test: venv
	$(PY) -m pytest

## Median wall time of the offline plan against the import-and-register floor.
bench: venv
	$(PY) -m offline.bench

## The real path: needs the pulumi CLI, `pulumi login` and `az login`.
preview: venv
	pulumi preview --stack $(STACK) --policy-pack policies --policy-pack-config $(POLICY_CONFIG)

up: venv
	pulumi up --stack $(STACK) --policy-pack policies --policy-pack-config $(POLICY_CONFIG)

## Checks a deployed stack through the gateway with the official openai SDK.
smoke: venv
	$(PY) -m tools.smoke_test --stack $(STACK)

## Regenerates the generated references in docs/ (configuration, stack file schema, policy rules, architecture).
docs: venv
	$(PY) -m tools.docs

hooks: venv
	$(VENV)/bin/pre-commit install

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/zizmor --offline .github/workflows

clean:
	rm -rf build bench/results.json
