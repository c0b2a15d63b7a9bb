# Two commands for a fresh machine (Python 3.11+, no Docker, no internet but PyPI):
#   make up    start the whole local stack with the demo data and run the sweep (Ctrl-C stops it all)
#   make test  run the test suite against real PostgreSQL, Temporal test/dev servers and local SES
#   make bench relance against bare Temporal on the same local stack (BENCH_ARGS="--n 10000")
#   make chaos the fault suite: worker kills, restarts, SES throttling (CHAOS_ARGS="--n 1000")
#   make catalogues  the French and English catalogues (relance/locale) updated from the sources (babel.cfg)
#   make audit known vulnerabilities of the installed dependencies (pip-audit; AUDIT_IGNORE="ID ..." accepts some)
PYTHON ?= python3
# Python keeps each compiled module (.pyc) and pytest each test module with its asserts rewritten, so the
# next process only loads them: a shell's PYTHONDONTWRITEBYTECODE=1 made every process of the suite
# compile relance and the libraries again (pytest's collection 12 s of CPU instead of 6, a worker's start
# 1 s more), dozens of processes a run.
unexport PYTHONDONTWRITEBYTECODE
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: up test bench chaos audit install browser clean catalogues docs docs-serve

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "relance needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
# uv (from PyPI) resolves the same versions as pip in a quarter of the time (17 s against 66 s here);
# pip, with its own configuration (a private index, say), if uv cannot.
	$(VENV)/bin/python -m pip install --quiet uv && $(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python \
	  -e ".[local,test,bench,audit]" || $(VENV)/bin/python -m pip install --quiet -e ".[local,test,bench,audit]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

up: $(STAMP)
	$(VENV)/bin/relance up

# Test processes (pytest-xdist), each with a stack of its own (PostgreSQL, SES, Temporal on free ports).
# Four by default, even on 2 cores: much of a test is waiting (servers, subprocesses, timers), and the
# slow ones are dealt one to each process first (tests/conftest.py). PYTEST_WORKERS=0 runs in this one
# process. The slowest tests are listed last.
PYTEST_WORKERS ?= 4
test: $(STAMP) browser
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal --durations=15 $(PYTEST_ARGS)

# The browser test drives Debian's chromium (never a downloaded browser); under CI=true it must be there.
browser:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Debian's chromium for the browser test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "could not install chromium: the browser test will skip (and fail under CI=true)"; }

bench: $(STAMP)
	$(VENV)/bin/python -m bench.run $(BENCH_ARGS)

chaos: $(STAMP)
	$(VENV)/bin/python -m bench.chaos $(CHAOS_ARGS)

# Fails on a known vulnerability; PyPI out of reach is a note, never a failure (.ci/audit.py).
docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict --quiet
	@echo "the documentation site is in site/ (open site/index.html, or make docs-serve)"

docs-serve: $(STAMP)
	$(VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:8001

audit: $(STAMP)
	$(VENV)/bin/python .ci/audit.py

# New messages arrive untranslated (tests/test_catalogues.py fails until they are translated by hand).
catalogues: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output -o .relance-messages.pot .
	$(VENV)/bin/pybabel update -i .relance-messages.pot -d relance/locale --ignore-obsolete \
	  --no-fuzzy-matching --width 120
	rm -f .relance-messages.pot

clean:
	rm -rf $(VENV) .relance .pytest_cache
