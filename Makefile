# EIT Synergies — the README's commands. `make setup` runs once (idempotent); every other
# target depends on it, so `make demo` and `make test` work on a fresh machine.
SYSTEM_PYTHON ?= /usr/bin/python3
VENV          ?= .venv
PY            := $(VENV)/bin/python
STAMP         := $(VENV)/.eit-setup
QM            := i18n/eit_synergies_fr.qm
export QT_QPA_PLATFORM ?= offscreen
export XDG_RUNTIME_DIR ?= /tmp/runtime-$(shell id -u)
export PROJ_DATA ?= /usr/share/proj

.PHONY: setup test test-core test-qgis lint demo package translations translations-update \
        benchmarks clean test-compat

setup: $(STAMP) $(QM)

$(STAMP): requirements.txt requirements/dev.txt scripts/setup_system.sh
	bash scripts/setup_system.sh
	$(SYSTEM_PYTHON) -m venv --system-site-packages $(VENV)
	$(SYSTEM_PYTHON) -c 'import numpy; print("numpy==" + numpy.__version__)' > $(VENV)/constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check \
	    -c $(VENV)/constraints.txt -r requirements/dev.txt
	# pyproj must be Debian's (same PROJ as QGIS): drop a wheel that a dependency pulled in
	if [ -d "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/pyproj" ]; then \
	    $(PY) -m pip uninstall --quiet -y pyproj; fi
	$(PY) -c 'import pyproj, sys; sys.exit(0 if pyproj.__file__.startswith("/usr/") else "pyproj is not the system one")'
	$(PY) -c 'import numpy, qgis.core, pandas, geopandas; print("numpy", numpy.__version__, "QGIS", qgis.core.Qgis.QGIS_VERSION)'
	touch $(STAMP)

# Compiled translations (never committed).
$(QM): i18n/eit_synergies_fr.ts
	lrelease -silent $< -qm $@

translations: $(QM)

# After adding tr() strings: refresh the .ts, then translate the new entries.
translations-update: $(STAMP)
	$(PY) scripts/i18n.py update

test: setup test-core test-qgis lint
	@echo "make test: all suites passed"

# Pure core tests: no QGIS plugin for pytest, and QGIS/Qt imports blocked (tests/unit/conftest.py).
test-core: setup
	mkdir -p $(XDG_RUNTIME_DIR) && chmod 700 $(XDG_RUNTIME_DIR)
	$(VENV)/bin/pytest -p no:qgis -p no:cacheprovider tests/unit

# QGIS tests: pytest-qgis offscreen, the real qgis_process and the real desktop under Xvfb.
test-qgis: setup
	mkdir -p $(XDG_RUNTIME_DIR) && chmod 700 $(XDG_RUNTIME_DIR)
	$(VENV)/bin/pytest -p no:cacheprovider tests/qgis

# `make test` and `make demo` of this working tree on Debian 13 (QGIS 3.40 LTR, Python 3.13,
# numpy 2) and Debian unstable (QGIS 3.44, Python 3.14), in root filesystems built once from
# Debian's packages (cached in /var/cache/eit-compat). Root, or sudo.
test-compat:
	bash scripts/compat.sh all

# The main job on the embedded demo territory, through the real qgis_process.
demo: setup
	$(PY) scripts/demo.py demo-output

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

package: setup
	$(PY) scripts/package.py dist

benchmarks: setup
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf dist build $(QM) .pytest_cache .ruff_cache
