"""`interp_report`'s Grad-CAM (06_interpret, `_grad_cam`) against the `grad-cam` package, side by side in one process.

On 9 validation glyphs at 128 px through EfficientNet-Lite0 (an untrained head: the maps' agreement does not depend on the
weights), one torch thread, best of 3 rounds each: the seconds of each way, and the correlation of the two maps per image
once ours is upsampled to the input size as the package does. The package needs the body's output to carry a gradient,
so it runs on the unfrozen learner (on the frozen learner a user has after the frozen stage it fails); it also leaves
gradients on the parameters. It is not a dependency: `pip install grad-cam` (it brings OpenCV) to run this.
Run: .venv/bin/python bench/grad_cam.py
"""
import time
import numpy as np, torch, torch.nn.functional as F
from tl_recipes.all import *
from tl_recipes.interpret import _grad_cam
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

torch.set_num_threads(1); set_seed(0)
dls = regex_dls(make_glyphs(), size=128, num_workers=0, bs=9)
learn = transfer_learner(dls); m = learn.model.eval()
xb = dls.valid.one_batch()[0].as_subclass(torch.Tensor)
with torch.no_grad(): cls = m(xb).argmax(1)

def ours():
    with torch.no_grad(): act = m[0](xb)
    return _grad_cam(m[1], act, cls)

def best(f):
    ts = []
    for _ in range(3): t = time.perf_counter(); r = f(); ts.append(time.perf_counter() - t)
    return r, min(ts)

mine, t_ours = best(ours)
try: GradCAM(model=m, target_layers=[m[0]])(input_tensor=xb, targets=[ClassifierOutputTarget(int(c)) for c in cls]); frozen = 'ran'
except Exception as e: frozen = f'{type(e).__name__}: {e}'
learn.unfreeze()
cam = GradCAM(model=m, target_layers=[m[0]])
theirs, t_pkg = best(lambda: cam(input_tensor=xb, targets=[ClassifierOutputTarget(int(c)) for c in cls]))
up = F.interpolate(mine[:, None], size=xb.shape[-2:], mode='bilinear', align_corners=False)[:, 0].numpy()
corr = [np.corrcoef(up[i].ravel(), theirs[i].ravel())[0, 1] for i in range(len(up))]
print(f'ours {t_ours:.3f} s, grad-cam {t_pkg:.3f} s ({t_pkg/t_ours:.1f}x ours); correlation of the maps min {min(corr):.6f}')
print(f'grad-cam on the frozen learner: {frozen}')
print(f'gradients left on the parameters by grad-cam: {any(p.grad is not None for p in m.parameters())}')
