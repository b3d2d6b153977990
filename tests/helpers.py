"Test data that the package does not ship: the digits in the folder layouts of `folder_dls`."
import shutil
from pathlib import Path

def to_folders(src, dest, split=None)->Path:
    "Copy the digit files of `src` into class folders under `dest`, every fifth into `split[1]` if given"
    for i, f in enumerate(sorted(Path(src).glob('*.png'))):
        sub = () if split is None else (split[1] if i%5 == 4 else split[0],)
        d = Path(dest, *sub, f.name.rsplit('_', 1)[0]); d.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, d)
    return Path(dest)
