# One-command set-up: every target creates ./venv from the pinned requirements when missing.
STACK  ?= dev
PYTHON ?= python3
VENV   := venv
PY     := $(VENV)/bin/python
# The CLI release the pipelines pin; the SDK in requirements.txt has the same version. Read without a shell.
PULUMI_VERSION := $(patsubst pulumi==%,%,$(filter pulumi==%,$(file < requirements.txt)))

.PHONY: venv plan test bench stack pulumi-cli up preview smoke lint docs hooks lock clean

venv: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

# The Node tools of the test suite (tools/kql_check.mjs: the KQL syntax check), pinned in package-lock.json.
# Without npm only that test fails (and says so): `make plan` needs no Node.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  echo "npm ci --no-audit --no-fund" && npm ci --no-audit --no-fund && touch $@; \
	else echo "npm not found on PATH: install Node.js 20+ for tests/test_kql_syntax.py (make plan needs no Node)" >&2; fi

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

## Creates Pulumi.$(NAME).yaml from Pulumi.$(FROM).yaml (FROM defaults to dev) and says what to do next.
stack: venv
	@$(PY) -m tools.stacks new "$(NAME)" --from "$(or $(FROM),dev)"

## Stops the real path with one line when the pulumi CLI is missing, before anything else runs.
pulumi-cli:
	@command -v pulumi >/dev/null 2>&1 || { echo "pulumi CLI not found on PATH: install pulumi $(PULUMI_VERSION) from https://www.pulumi.com/docs/install/ (make plan needs no CLI)" >&2; exit 2; }

## The real path: needs the pulumi CLI, `pulumi login` and `az login`. The policy pack config follows the
## stack's environment (policies/README.md); `venv/bin/python -m tools.stacks pack-config <stack>` names it.
preview up: pulumi-cli venv
	@config=$$($(PY) -m tools.stacks pack-config "$(STACK)") || exit 2; set -x; \
	pulumi $@ --stack "$(STACK)" --policy-pack policies --policy-pack-config "$$config"

## Checks a deployed stack through the gateway with the official openai SDK; OUTPUTS=<file.json> reads the
## stack outputs from that file instead of `pulumi stack output`.
smoke: $(if $(OUTPUTS),,pulumi-cli) venv
	$(PY) -m tools.smoke_test $(if $(OUTPUTS),--outputs "$(OUTPUTS)",--stack $(STACK))

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
