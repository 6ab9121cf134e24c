# make run   - set up .venv and run the default scenario (Hague 2025), writing results/default
# make test  - set up .venv and run the test suite
# make setup - only create .venv with a Python >= 3.12 and install the project

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT ?= results/default

.PHONY: setup run test clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@set -e; \
	if [ ! -x "$(PY)" ]; then \
		python=$$(scripts/find-python); \
		echo "creating $(VENV) with $$python"; \
		"$$python" -m venv $(VENV); \
	fi; \
	$(PY) -m pip install --quiet --upgrade pip; \
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

run: setup
	@rm -rf "$(OUT).new" && $(VENV)/bin/alliance-sim run --out "$(OUT).new" && rm -rf "$(OUT)" && mv "$(OUT).new" "$(OUT)" && echo "results in $(OUT)/"

test: setup
	$(PY) -m pytest

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis
