# `make demo` and `make test` each do all set-up on a fresh clone: a .venv with the pinned stack.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow nbtest pytest docs readme sync-check clean

$(STAMP): constraints.txt settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tl_demo

test: nbtest pytest

# The tutorials (nbs/1*_*.ipynb) are executed by the docs build, which tests/test_docs.py runs: once, not twice.
nbtest: $(STAMP)
	MPLBACKEND=Agg $(BIN)/nbdev_test --n_workers 1 --do_print --timing --skip_file_re '^([_.]|1[0-9]_)'

pytest: $(STAMP)
	MPLBACKEND=Agg $(BIN)/pytest -q tests

# The cells marked `#| slow` and the pytest tests marked slow: full-size training.
test-slow: $(STAMP)
	MPLBACKEND=Agg $(BIN)/nbdev_test --n_workers 1 --do_print --timing --flags slow
	MPLBACKEND=Agg RUN_SLOW=1 $(BIN)/pytest -q tests

# The documentation site in _docs/, offline: nbconvert, since Quarto cannot be installed without a network.
docs: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python tools/build_docs.py --dest _docs

# README.md is nbs/index.ipynb rendered (nbdev_readme would need Quarto).
readme: $(STAMP)
	$(BIN)/jupyter nbconvert --to markdown --stdout --log-level=ERROR nbs/index.ipynb > README.md

# Fails when nbdev_clean or nbdev_export would change a file: notebooks are the source.
sync-check: $(STAMP)
	@before=$$(git status --porcelain; git diff); \
	$(BIN)/nbdev_clean && $(BIN)/nbdev_export && $(MAKE) -s readme || exit 1; \
	after=$$(git status --porcelain; git diff); \
	if [ "$$before" != "$$after" ]; then echo "nbdev_clean, nbdev_export or make readme changed files: run them and commit"; git status --short; exit 1; fi; \
	echo "notebooks clean, modules in sync"

clean:
	rm -rf $(VENV) _proc _docs *.egg-info
