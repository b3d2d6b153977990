"""Batch prediction, side by side in one run: `predict_folder` against fastai's per-image `learn.predict` and a bare forward pass.

Same model (EfficientNet-Lite0 and a fastai head, exported and reloaded with `load_export`), same 256 photo-sized
JPEG files (480×360, made from the embedded digits), 2 CPU cores, at two input sizes: 64 px (the demo's) and 224 px:
- fastai: a loop of `learn.predict(file)`, one image at a time (timed on the first 64 files);
- `predict_folder(model, folder)`: decodes in threads, one forward pass per batch of 64, writes the CSV;
- a bare forward pass over tensors decoded beforehand, in batches of 64: the floor for any way of predicting;
- the same model exported with `onnx=True` (preprocessing inside the graph) on onnxruntime: its bare pass over the same
  decoded items (as uint8 arrays), and `predict_folder` with `load_onnx`'s model.
Each is timed five times, in alternating rounds, and the median is kept. Prints images per second, the ratios, and the install size of each runtime (its folder in site-packages).
Run: .venv/bin/python bench/predict.py
"""
import importlib, statistics, tempfile, time
from PIL import Image
from tl_recipes.all import *
from tl_recipes.serve import load_onnx
from tl_recipes.pixels import open_rgb

defaults.callbacks = [c for c in defaults.callbacks if c is not ProgressCallback]

def make_photos(n=256):
    "`n` JPEG files of 480×360 pixels, labelled by file name"
    src, dest = make_digits(), Path(tempfile.mkdtemp())/'photos'
    dest.mkdir()
    for f in src.ls(file_exts='.png').sorted()[:n]:
        Image.open(f).convert('RGB').resize((480, 360), Image.BICUBIC).save(dest/f'{f.stem}.jpg', quality=90)
    return dest

def timed(fs:dict, n=5)->dict:
    "The median of `n` timings of each function in `fs`, run in alternating rounds so that a slow spell hits all alike"
    ts = {k: [] for k in fs}
    for _ in range(n):
        for k, f in fs.items():
            t = time.perf_counter(); f(); ts[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in ts.items()}

def bench(path, size):
    files = path.ls(file_exts='.jpg').sorted()
    dls = regex_dls(path, size=size, presize=size*8//7, num_workers=0)
    learn = transfer_learner(dls)
    exp = export_model(learn, path.parent/f'model_{size}', onnx=True)
    model, om = load_export(exp), load_onnx(exp)
    learn.predict(files[0]); model.batch_probs(torch.zeros(2, 3, model.presize, model.presize, dtype=torch.uint8))  # warm up
    om.batch_probs(np.zeros((2, om.presize, om.presize, 3), np.uint8))
    n_loop = 64
    xb = torch.stack([model.item_tfm(open_rgb(f, model.presize)) for f in files])
    xo = xb.permute(0, 2, 3, 1).numpy().copy()  # the same items, as the arrays the ONNX graph takes
    csv = path.parent/f'predictions_{size}.csv'
    t = timed(dict(loop=lambda: [learn.predict(f) for f in files[:n_loop]],
                   folder=lambda: predict_folder(model, path, csv=csv, bs=64, progress=False),
                   bare=lambda: [model.batch_probs(xb[i:i+64]) for i in range(0, len(xb), 64)],
                   onnx_bare=lambda: [om.batch_probs(xo[i:i+64]) for i in range(0, len(xo), 64)],
                   onnx_folder=lambda: predict_folder(om, path, bs=64, progress=False)))
    ips = {k: (n_loop if k == 'loop' else len(files))/v for k, v in t.items()}
    df = predict_folder(model, path, bs=64, progress=False)
    agree = (df.label.values[:n_loop] == np.array([learn.predict(f)[0] for f in files[:n_loop]])).mean()
    print(f"\n{len(files)} images of 480x360, model input {size} px (presize {model.presize}), batches of 64")
    print(f"fastai learn.predict, one at a time  {ips['loop']:7.1f} images/s")
    print(f"predict_folder (decode + forward)    {ips['folder']:7.1f} images/s   {ips['folder']/ips['loop']:.1f}x the per-image loop")
    print(f"bare forward on decoded tensors      {ips['bare']:7.1f} images/s   predict_folder takes {ips['bare']/ips['folder']:.2f}x its time")
    print(f"onnxruntime, bare, same items        {ips['onnx_bare']:7.1f} images/s   {ips['onnx_bare']/ips['bare']:.2f}x torch's bare pass")
    print(f"predict_folder on load_onnx's model  {ips['onnx_folder']:7.1f} images/s   {ips['onnx_folder']/ips['folder']:.2f}x predict_folder on torch")
    print(f"predict_folder and learn.predict agree on {agree:.0%} of the first {n_loop} images")
    return ips

def installed_mb(*names)->float:
    "The size in MB of the installed packages `names`: their folders in site-packages, with their bundled libraries"
    tot = 0
    for n in names:
        try: d = Path(importlib.import_module(n).__file__).parent
        except ImportError: continue
        tot += sum(f.stat().st_size for f in d.rglob('*') if f.is_file())
        for lib in d.parent.glob(f'{n}.libs'): tot += sum(f.stat().st_size for f in lib.rglob('*') if f.is_file())
    return tot/2**20

if __name__ == '__main__':
    torch.manual_seed(0)
    path = make_photos()
    for size in (64, 224): bench(path, size)
    print(f"\ninstalled: torch + torchvision {installed_mb('torch', 'torchvision'):,.0f} MB (with fastai, timm and their "
          f"dependencies on top); onnxruntime {installed_mb('onnxruntime'):,.0f} MB (with numpy and Pillow, which both need)")
