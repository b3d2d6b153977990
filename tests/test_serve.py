"Every exported path, torch (`load_export`) and ONNX (`load_onnx`), gives `learn.predict`'s probabilities within 1e-4 on every validation image, on four architectures (no weights needed)."
import json
import pytest
import numpy as np, torch
from torch import nn
from fastai.torch_core import set_seed
from tl_recipes.all import regex_dls, make_digits, transfer_learner, export_model, load_export
from tl_recipes.export import UNSURE

ARCHS = ['efficientnet_lite0', 'resnet18', 'resnet34', 'mobilenetv3_small_050']  # the last one timm's

@pytest.mark.parametrize('arch', ARCHS)
def test_every_path_matches_learn_predict(arch, tmp_path):
    pytest.importorskip('onnxruntime'); from tl_recipes.serve import load_onnx
    set_seed(0)
    dls = regex_dls(make_digits(n=300), size=32, presize=80, valid_scale=0.9, bs=32, num_workers=0)
    learn = transfer_learner(dls, arch, pretrained=False)
    files = learn.dls.valid_ds.items
    # a random head's logits are all alike or all apart, per architecture: scaled so that the probabilities spread out,
    # where a small shift in the pixels would show
    z = learn.get_preds(dl=learn.dls.test_dl(files))[0].clamp_min(1e-12).log()
    last = [m for m in learn.model.modules() if isinstance(m, nn.Linear)][-1]
    k = 2.5/float(z.std(1).mean()); last.weight.data.mul_(k)
    if last.bias is not None: last.bias.data.mul_(k)
    ref = learn.get_preds(dl=learn.dls.test_dl(files))[0]
    top = ref.max(1).values
    assert top.min() < 0.9 and top.median() > 0.3, (arch, top.min(), top.median())
    path = export_model(learn, tmp_path/'m', onnx=True)
    meta = json.loads((path/'model.json').read_text())
    assert meta['arch'] == arch and meta['onnx']['opset'] == 18
    tm, om = load_export(path, device='cpu'), load_onnx(path)
    pt = torch.stack([tm.probs(f, calibrated=False) for f in files])
    po = torch.from_numpy(np.stack([om.probs(f, calibrated=False) for f in files]))
    for got in (pt, po):
        assert float((got - ref).abs().max()) <= 1e-4
        assert (got.argmax(1) == ref.argmax(1)).all()
    # with the temperature: the two exports agree with each other
    t = meta['temperature']; assert t == tm.temperature == om.temperature
    assert float((torch.stack([tm.probs(f) for f in files]) - torch.from_numpy(np.stack([om.probs(f) for f in files]))).abs().max()) <= 1e-4
    label, p, _ = om.predict(files[0])
    assert om.predict(files[0], threshold=1.)[0] == tm.predict(files[0], threshold=1.)[0] == UNSURE  # p < 1 here
    assert om.predict(files[0], threshold=p - 1e-4)[0] == tm.predict(files[0], threshold=p - 1e-4)[0] == label

def test_tl_predict_onnx(tmp_path):
    "`tl_predict --onnx` predicts with `model.onnx`, as `tl_predict` does with the torch export"
    from helpers import call
    set_seed(0)
    learn = transfer_learner(regex_dls(make_digits(n=300), size=32, bs=32, num_workers=0))
    learn.fine_tune_recipe(0, freeze_epochs=2)
    path = export_model(learn, tmp_path/'m', onnx=True)
    imgs = tmp_path/'imgs'; imgs.mkdir()
    for f in learn.dls.valid_ds.items[:6]: (imgs/f.name).write_bytes(f.read_bytes())
    a, b = (call('tl_predict', path, imgs, '--csv', tmp_path/f'{n}.csv', *o, home=tmp_path/'home') for n, o in (('t', ()), ('o', ('--onnx',))))
    assert a.returncode == b.returncode == 0, (a.stderr[-1500:], b.stderr[-1500:])
    import pandas as pd
    t, o = pd.read_csv(tmp_path/'t.csv'), pd.read_csv(tmp_path/'o.csv')
    assert len(t) == 6 and (t.label == o.label).all()
    assert float((t.probability - o.probability).abs().max()) <= 1e-4
    p = call('tl_predict', export_model(learn, tmp_path/'torch_only'), imgs, '--onnx', home=tmp_path/'home')  # no model.onnx
    assert p.returncode != 0 and 'model.onnx is missing: export the model with `export_model(learn, path, onnx=True)`' in p.stderr, p.stderr[-800:]
