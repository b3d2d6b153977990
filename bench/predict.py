"""Batch prediction, side by side in one run: `predict_folder` against fastai's per-image `learn.predict` and a bare forward pass.

Same model (EfficientNet-Lite0 and a fastai head, exported and reloaded with `load_export`), same 256 photo-sized
JPEG files (480×360, made from the embedded digits), 2 CPU cores, at two input sizes: 64 px (the demo's) and 224 px:
- fastai: a loop of `learn.predict(file)`, one image at a time (timed on the first 64 files);
- `predict_folder(model, folder)`: decodes in threads, one forward pass per batch of 64, writes the CSV;
- a bare forward pass over tensors decoded beforehand, in batches of 64: the floor for any way of predicting.
Each is timed five times, in alternating rounds, and the median is kept. Prints images per second and the ratios.
Run: .venv/bin/python bench/predict.py
"""
import statistics, tempfile, time
from PIL import Image
from tl_recipes.all import *

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
    model = load_export(export_model(learn, path.parent/f'model_{size}'))
    learn.predict(files[0]); model.batch_probs(torch.zeros(2, 3, 256, 256))  # warm up both
    n_loop = 64
    xb = torch.stack([model.item_tfm(open_rgb(f, model.presize)) for f in files])
    csv = path.parent/f'predictions_{size}.csv'
    t = timed(dict(loop=lambda: [learn.predict(f) for f in files[:n_loop]],
                   folder=lambda: predict_folder(model, path, csv=csv, bs=64, progress=False),
                   bare=lambda: [model.batch_probs(xb[i:i+64]) for i in range(0, len(xb), 64)]))
    ips = dict(loop=n_loop/t['loop'], folder=len(files)/t['folder'], bare=len(files)/t['bare'])
    df = predict_folder(model, path, bs=64, progress=False)
    agree = (df.label.values[:n_loop] == np.array([learn.predict(f)[0] for f in files[:n_loop]])).mean()
    print(f"\n{len(files)} images of 480x360, model input {size} px (presize {model.presize}), batches of 64")
    print(f"fastai learn.predict, one at a time  {ips['loop']:7.1f} images/s")
    print(f"predict_folder (decode + forward)    {ips['folder']:7.1f} images/s   {ips['folder']/ips['loop']:.1f}x the per-image loop")
    print(f"bare forward on decoded tensors      {ips['bare']:7.1f} images/s   predict_folder takes {ips['bare']/ips['folder']:.2f}x its time")
    print(f"predict_folder and learn.predict agree on {agree:.0%} of the first {n_loop} images")

if __name__ == '__main__':
    torch.manual_seed(0)
    path = make_photos()
    for size in (64, 224): bench(path, size)
