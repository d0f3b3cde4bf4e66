# make demo / make test / make bench: each does all of its own set-up on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEB_PACKAGES := python3 python3-venv ffmpeg espeak-ng fontconfig fonts-dejavu-core fonts-noto-core fonts-noto-cjk tesseract-ocr tesseract-ocr-eng chromium chromium-driver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench lint system venv clean

system:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml requirements/multilingual.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "subtool needs Python 3.11 or newer (set PYTHON=python3.11)")'
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r requirements/multilingual.txt
	$(PY) -m pip install -q -e '.[test,multilingual,cluster]'
	@touch $(STAMP)

venv: system $(STAMP)

demo: venv
	$(PY) -m subtool.demo

test: venv
	$(VENV)/bin/ruff check subtool tests benchmarks yt_dlp_plugins
	$(VENV)/bin/mypy subtool
	$(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check subtool tests benchmarks yt_dlp_plugins
	$(VENV)/bin/mypy subtool

bench: venv
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
