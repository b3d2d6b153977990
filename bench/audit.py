"""The audit's speed, side by side in one run: `audit_images` against decoding every image once.

Makes two folders of 5,391 images each from the 1,797 embedded digits (three files per digit: PNG, JPEG, greyscale PNG):
small images of 32×32 pixels, and photo-sized ones of 480×360 (the size of the Oxford-IIIT Pets images). On each, with a
warm file cache, it times:
- `audit_images` with labels and a split (what every loader runs first);
- one full decode of every image to RGB (what each epoch of training does anyway), for scale;
- `audit_images(decode=True)`, the thorough mode that decodes everything.
Prints images per second, the audit's cost as a fraction of one decoding pass, and how many images the default audit decoded.
Run: .venv/bin/python bench/audit.py
"""
import tempfile, time
from unittest import mock
from PIL import Image
from tl_recipes.all import *
from tl_recipes.pixels import open_rgb
from fastai.vision.all import RegexLabeller, using_attr

def make_folder(size):
    "5,391 images of `size`×`size*3/4` pixels, labelled by file name"
    src, dest = make_digits(), Path(tempfile.mkdtemp())/f'audit_bench_{size}'
    dest.mkdir()
    for f in src.ls(file_exts='.png').sorted():
        im = Image.open(f).resize((size, size*3//4), Image.BICUBIC)
        for i, (ext, mode) in enumerate([('png', 'RGB'), ('jpg', 'RGB'), ('png', 'L')]): im.convert(mode).save(dest/f'{f.stem}{i}.{ext}')
    return dest

def timed(f):
    t = time.perf_counter(); res = f(); return res, time.perf_counter() - t

def bench(size):
    path = make_folder(size)
    files = path.ls().sorted()
    for f in files: f.read_bytes()  # warm the file cache for every contender
    kw = dict(get_y=using_attr(RegexLabeller(r'^(.+)_\d+\.\w+$'), 'name'), splitter=RandomSplitter(seed=42))
    with mock.patch.object(Image.Image, 'load', side_effect=Image.Image.load, autospec=True) as loads:
        r, t_audit = timed(lambda: audit_images(path, **kw))
    _, t_decode = timed(lambda: [open_rgb(f) for f in files])
    _, t_full = timed(lambda: audit_images(path, decode=True, **kw))
    n = len(files)
    print(f"\n{n:,} images of {size}x{size*3//4} pixels, {len(r.items):,} usable")
    print(f"  audit_images              {n/t_audit:9,.0f} images/s  ({t_audit:5.2f} s)  decoded {loads.call_count} images")
    print(f"  decode every image once   {n/t_decode:9,.0f} images/s  ({t_decode:5.2f} s)")
    print(f"  audit_images(decode=True) {n/t_full:9,.0f} images/s  ({t_full:5.2f} s)")
    print(f"  the audit costs {t_audit/t_decode:.2f}x one decoding pass (one epoch)")

if __name__ == '__main__':
    for size in (32, 480): bench(size)
