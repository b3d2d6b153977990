"""Test helpers: the digits in the folder layouts of `folder_dls`, the commands' options as fastcore spells them, and the
commands run as a user runs them: in a fresh process (`run`, `start`), or in this one as their script runs (`call`)."""
import io, os, runpy, shutil, signal, subprocess, sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest.mock import patch
import fastcore

BIN = Path(sys.executable).parent

def opt(name:str)->str:
    "The command-line option for the parameter `name`, as the installed fastcore spells it: `--a_b` (1.x), `--a-b` (2.x)"
    return '--' + (name.replace('_', '-') if int(fastcore.__version__.split('.')[0]) >= 2 else name)

def to_folders(src, dest, split=None)->Path:
    "Copy the digit files of `src` into class folders under `dest`, every fifth into `split[1]` if given"
    for i, f in enumerate(sorted(Path(src).glob('*.png'))):
        sub = () if split is None else (split[1] if i%5 == 4 else split[0],)
        d = Path(dest, *sub, f.name.rsplit('_', 1)[0]); d.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, d)
    return Path(dest)

def _env(home): return dict(os.environ, TL_RECIPES_HOME=str(home), MPLBACKEND='Agg')

def run(cmd, *args, home, timeout=600):
    "Run the console script `cmd` with `args` in a fresh process; return the completed process"
    return subprocess.run([BIN/cmd, *map(str, args)], env=_env(home), capture_output=True, text=True, timeout=timeout)

def start(cmd, *args, home):
    "Start the console script `cmd` with `args` in the background, its stderr piped; return the process"
    return subprocess.Popen([str(BIN/cmd), *map(str, args)], env=_env(home), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_user_signals)

def _user_signals():
    "Ctrl-C as in a user's terminal, even where pytest runs as a background job (started with SIGINT ignored)"
    signal.signal(signal.SIGINT, signal.SIG_DFL)

def call(cmd, *args, home)->subprocess.CompletedProcess:
    """Run the console script `cmd` with `args` in this process, the script's own file executed as `__main__` (as a
    fresh process would, without its 12 s of imports); return its status, stdout and stderr as `run` does"""
    out, err, argv = io.StringIO(), io.StringIO(), sys.argv
    sys.argv = [str(BIN/cmd), *map(str, args)]
    try:
        with patch.dict(os.environ, _env(home)), redirect_stdout(out), redirect_stderr(err):
            try: runpy.run_path(str(BIN/cmd), run_name='__main__'); rc = 0
            except SystemExit as e:  # as the interpreter ends: None 0, a number itself, anything else printed and 1
                rc = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
                if not isinstance(e.code, (int, type(None))): print(e.code, file=sys.stderr)
    finally: sys.argv = argv
    return subprocess.CompletedProcess([cmd, *args], rc, out.getvalue(), err.getvalue())
