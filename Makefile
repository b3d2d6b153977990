# `make demo` and `make test` each do all set-up on a fresh clone: a .venv with the locked stack (constraints.txt).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Run a step and print how long it took: $(call timed,what,command)
timed = s=$$(date +%s); $(2); rc=$$?; echo "time: $(1) $$(( $$(date +%s) - s )) s"; exit $$rc

LATEST := .venv-latest

.PHONY: demo test test-latest latest-env latest-tests latest-pytest latest-tutorials test-slow nbtest pytest docs-test docs readme outputs sync-check lock clean

$(STAMP): constraints.txt settings.ini setup.py
	@$(call timed,environment,test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	  $(BIN)/python -m pip install -q -c constraints.txt pip && \
	  $(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]')
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tl_demo

# Every notebook is executed by the docs build, as nbdev_test executes it, which tests/test_docs.py runs: once, not twice.
# pytest and the docs build run side by side, each with half the cores for torch (OMP_NUM_THREADS, unless already set):
# training this small is far from twice as fast on twice the threads, and a fresh kernel imports fastai on one core.
# Measured once each way on the newest stack's two steps, one clone, 2 cores: 248 s side by side, 346 s one after the other.
# Each step's output is printed whole when it ends (GNU make 4; the 3.81 of macOS interleaves them).
HALF := $(shell n=$$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2); echo $$(( n > 1 ? n / 2 : 1 )))
SYNC := $(if $(filter output-sync,$(.FEATURES)),--output-sync=target)
both = OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$(HALF)} $(MAKE) -s -j2 $(SYNC) --no-print-directory $(1)
test: $(STAMP)
	@$(call both,pytest docs-test)

# nbdev_test alone, on every notebook.
nbtest: $(STAMP)
	@$(call timed,notebooks,MPLBACKEND=Agg $(BIN)/nbdev_test --n_workers 1 --do_print --timing)

pytest: $(STAMP)
	@$(call timed,pytest,MPLBACKEND=Agg $(BIN)/pytest -q tests --ignore tests/test_docs.py)

# The docs site built offline, every notebook executed (their tests included), each page then opened in headless Chromium.
docs-test: $(STAMP)
	@$(call timed,docs,MPLBACKEND=Agg $(BIN)/pytest -q -p no:cacheprovider tests/test_docs.py)  # beside pytest: one writes its cache

# The users' world: a second environment with the newest releases that settings.ini admits (fastai 2.8.12 on fastcore 2
# today), built afresh each time, no lock. pytest (less the lock test and the docs build, which needs nbdev 2), then the
# tutorials executed with nbclient, as Jupyter or Colab would run them. `latest-env` builds it, `latest-tests` runs them.
test-latest: latest-env latest-tests

latest-env:
	@$(call timed,latest environment,test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST); \
	  $(LATEST)/bin/python -m pip install -q --upgrade --upgrade-strategy eager -e '.[app]' websocket-client pytest nbclient ipykernel && \
	  $(LATEST)/bin/python -m pip list 2>/dev/null | grep -iE '^(fastai|fastcore|fasttransform|plum-dispatch|timm|torch|torchvision|onnx|onnxruntime|gradio) ')

latest-tests:
	@$(call both,latest-pytest latest-tutorials)

latest-pytest:
	@$(call timed,latest pytest,TL_STACK=latest MPLBACKEND=Agg $(LATEST)/bin/pytest -q tests --ignore tests/test_docs.py)

latest-tutorials:
	@$(call timed,latest tutorials,MPLBACKEND=Agg $(LATEST)/bin/python tools/run_notebooks.py nbs/1[0-9]_*.ipynb)

# The cells marked `#| slow` and the pytest tests marked slow: full-size training.
test-slow: $(STAMP)
	MPLBACKEND=Agg $(BIN)/nbdev_test --n_workers 1 --do_print --timing --flags slow
	MPLBACKEND=Agg RUN_SLOW=1 $(BIN)/pytest -q tests

# The documentation site in _docs/, offline: every notebook executed, then rendered with nbconvert (Quarto cannot be
# installed without a network).
docs: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python tools/build_docs.py --dest _docs

# README.md is nbs/index.ipynb rendered (nbdev_readme would need Quarto).
readme: $(STAMP)
	$(BIN)/python tools/readme.py nbs/index.ipynb > README.md

# Execute the tutorials, the library notebooks and the index, and write their outputs back into them (a reader on GitHub or
# in Colab sees what each step shows); then nbdev_clean. Run it when the code changes what they show, and commit them.
outputs: $(STAMP)
	$(BIN)/python tools/run_notebooks.py --save nbs/1[0-9]_*.ipynb
	$(BIN)/python tools/run_notebooks.py --save --here nbs/0*.ipynb nbs/index.ipynb
	$(BIN)/nbdev_clean

# Fails when nbdev_clean or nbdev_export would change a file: notebooks are the source.
sync-check: $(STAMP)
	@before=$$(git status --porcelain; git diff); \
	$(BIN)/nbdev_clean && $(BIN)/nbdev_export && $(MAKE) -s readme || exit 1; \
	after=$$(git status --porcelain; git diff); \
	if [ "$$before" != "$$after" ]; then echo "nbdev_clean, nbdev_export or make readme changed files: run them and commit"; git status --short; exit 1; fi; \
	echo "notebooks clean, modules in sync"

# Re-resolve constraints.txt, the lock of every installed package, from the direct pins in constraints.in and the
# requirements in settings.ini, in a new virtual environment. Run it after changing either, then `make test`.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install -q -c constraints.in -e '.[dev]'
	{ echo '# The lock: every package of the development and CI environment. Generated by `make lock` from constraints.in;'; \
	  echo '# do not edit by hand.'; \
	  .lock-venv/bin/python -m pip freeze --all --exclude-editable | LC_ALL=C sort -f; } > constraints.txt
	rm -rf .lock-venv
	@echo "constraints.txt: $$(grep -c '==' constraints.txt) pins"

clean:
	rm -rf $(VENV) $(LATEST) .lock-venv _proc _docs *.egg-info
