# make run   - set up .venv and run the default scenario (Hague 2025), writing results/default
# make test  - set up .venv, fill the browser page's asset cache, install Debian's chromium if
#              missing (scripts/install-chromium), and run the test suite
# make test-fast - the same, without the tests marked slow (pytest -m "not slow")
# make viz   - set up .venv and open the browser page on http://127.0.0.1:8765
# make docs  - set up .venv, rerun the levers' acceptance test into docs/levers.md, then write the
#              model's numbers into README.md's generated blocks (scripts/docs_numbers.py); about
#              30 s. Run it after any change to the model, its parameters or its calibration
# make setup - only create .venv with a Python >= 3.12 and install the project

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT ?= results/default

.PHONY: setup assets run test test-fast viz docs clean

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

# Solara fetches its JavaScript and CSS from a public CDN; fill its cache from npm instead,
# so the page also works offline (needs npm).
assets: setup
	$(PY) -m sim.viz.offline_assets

# The run writes into $(OUT) itself, so the paths it prints are the final ones (alliance-sim run
# never writes over results): the previous results wait in $(OUT).previous, put back if the run fails.
run: setup
	@if [ -e "$(OUT)" ]; then rm -rf "$(OUT).previous" && mv "$(OUT)" "$(OUT).previous"; fi
	@$(VENV)/bin/alliance-sim run --out "$(OUT)" || { status=$$?; \
		if [ -e "$(OUT).previous" ] && [ ! -e "$(OUT)" ]; then mv "$(OUT).previous" "$(OUT)"; fi; exit $$status; }
	@rm -rf "$(OUT).previous"

# Debian's Chromium for the browser tests: installed when missing (as root or with sudo); where
# it cannot be, scripts/install-chromium says so in one line and the browser tests are skipped,
# except with CI=true, where they run (and fail).
test: setup assets
	@skip="$${ALLIANCE_SIM_SKIP_BROWSER:-}"; \
	if [ "$$skip" != 1 ] && ! scripts/install-chromium && [ "$${CI:-}" != true ]; then skip=1; fi; \
	ALLIANCE_SIM_SKIP_BROWSER="$$skip" $(PY) -m pytest $(PYTEST_ARGS)

# The tests marked slow (more than a few seconds each) left out: a quick check while working.
test-fast: PYTEST_ARGS = -m "not slow"
test-fast: test

viz: setup assets
	$(VENV)/bin/alliance-sim viz

# The levers' sweeps go to a folder of their own, emptied first: a sweep already there would be
# refused (or, with --resume, reused though the model has changed since).
LEVERS_OUT := results/docs/levers
docs: setup
	rm -rf $(LEVERS_OUT)
	$(PY) -m experiments.levers --quiet --out $(LEVERS_OUT) --docs docs/levers.md
	$(PY) -m scripts.docs_numbers

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis
