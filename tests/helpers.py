"Test helpers: the digits in the folder layouts of `folder_dls`, and the commands' options as fastcore spells them."
import shutil
from pathlib import Path
import fastcore

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
