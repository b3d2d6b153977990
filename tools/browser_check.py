"""Open HTML pages in headless Chromium, as a reader would, and report what went wrong: images that do not decode,
errors on the console (a script's, a resource that failed to load). Optionally save a screenshot of each page.

Each page is copied with a probe added (a listener for errors and `console.error` at the top of `<head>`, a check of
every `<img>` once the page has loaded) and opened with `chromium --headless --dump-dom`; the probe writes its findings
into the DOM, which is read back. Pages must be self-contained (images as data URIs, as nbconvert and `interp_report`
write them): the copy lives in a temporary folder.

A page that must be used, not only looked at (an app: upload a file, press a button), is driven with `Tab`: a
headless Chromium tab controlled over the DevTools protocol (websocket-client, a development requirement).

Run: python tools/browser_check.py PAGE.html ... [--shots DIR]    (exit status 1 when a page has a problem)
"""
import argparse, base64, html, json, os, re, shutil, signal, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

HEAD = ("<script>window.__errs=[];window.addEventListener('error',e=>__errs.push(String(e.message||"
        "(e.target&&(e.target.src||e.target.href)))),true);const __ce=console.error;"
        "console.error=(...a)=>{__errs.push(a.map(String).join(' '));__ce(...a)};</script>")
TAIL = ("<script>window.addEventListener('load',()=>{const b=[...document.images].filter(i=>!(i.complete&&"
        "i.naturalWidth>0)).map(i=>(i.src||'').slice(0,60));document.body.setAttribute('data-check',"
        "JSON.stringify({images:document.images.length,broken:b,errors:__errs}))})</script>")

def browser()->str|None:
    "The Chromium executable on this machine, or None"
    return next((p for p in map(shutil.which, ('chromium', 'chromium-browser', 'google-chrome')) if p), None)

def _probed(page:Path, dest:Path)->Path:
    "A copy of `page` in `dest` with the probe added"
    s = page.read_text(encoding='utf-8')
    s = re.sub(r'(<head[^>]*>)', lambda m: m.group(1) + HEAD, s, count=1) if '<head' in s else HEAD + s
    s = s.replace('</body>', TAIL + '</body>') if '</body>' in s else s + TAIL
    (dest/page.name).write_text(s, encoding='utf-8')
    return dest/page.name

def check(page:Path|str, shot:Path|str|None=None, timeout:int=60)->dict:
    "What `page` shows in headless Chromium: how many images, the broken ones, the errors; a screenshot to `shot`"
    exe, page = browser(), Path(page).resolve()
    if exe is None: raise FileNotFoundError('no chromium on this machine: apt-get install chromium')
    flags = [exe, '--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=5000']
    with tempfile.TemporaryDirectory() as d:
        p = _probed(page, Path(d))
        out = subprocess.run(flags + ['--dump-dom', p.as_uri()], capture_output=True, text=True, timeout=timeout).stdout
        if shot: subprocess.run(flags + ['--window-size=1200,1600', f'--screenshot={Path(shot).resolve()}', p.as_uri()],
                                capture_output=True, timeout=timeout)
    m = re.search(r'data-check="([^"]*)"', out)
    return json.loads(html.unescape(m.group(1))) if m else dict(images=0, broken=[], errors=['the page did not load'])

class Tab:
    "A headless Chromium tab driven over the DevTools protocol: `go` to a URL, `js`, `wait`, `upload`, `screenshot`; a context manager"
    def __init__(self, width:int=1200, height:int=900, timeout:float=60):
        exe = browser()
        if exe is None: raise FileNotFoundError('no chromium on this machine: apt-get install chromium')
        import websocket  # websocket-client
        self.dir, self.timeout, self.n, self.events = tempfile.TemporaryDirectory(ignore_cleanup_errors=True), timeout, 0, []
        self.proc = subprocess.Popen([exe, '--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-port=0',
                                      f'--user-data-dir={self.dir.name}', f'--window-size={width},{height}', 'about:blank'],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port = self._until(lambda: (Path(self.dir.name)/'DevToolsActivePort').read_text().split()[0], 'Chromium to start')
        pages = self._until(lambda: [t for t in json.load(urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list'))
                                     if t['type'] == 'page'], 'a tab')
        self.ws = websocket.create_connection(pages[0]['webSocketDebuggerUrl'], timeout=timeout, suppress_origin=True)

    def _until(self, f, what:str, timeout:float|None=None):
        "The first truthy result of `f()` (exceptions count as no), retried until `timeout`; what was awaited names the error"
        end = time.time() + (timeout or self.timeout)
        while True:
            try:
                if (r := f()): return r
            except Exception: pass
            if time.time() > end: raise TimeoutError(f'waited {timeout or self.timeout:g} s for {what}')
            time.sleep(0.2)

    def send(self, method:str, **params)->dict:
        "The result of the DevTools command `method` with `params`; events that arrive meanwhile are kept in `events`"
        self.n += 1; self.ws.send(json.dumps(dict(id=self.n, method=method, params=params)))
        while (m := json.loads(self.ws.recv())).get('id') != self.n:
            if 'method' in m: self.events.append(m)
        if 'error' in m: raise RuntimeError(f"{method}: {m['error']}")
        return m['result']

    def js(self, expr:str, gesture:bool=False):
        "The value of the JavaScript expression `expr` in the page; run as a person's click if `gesture`"
        r = self.send('Runtime.evaluate', expression=expr, returnByValue=True, awaitPromise=True, userGesture=gesture)
        if 'exceptionDetails' in r: raise RuntimeError(f"{expr[:80]}: {r['exceptionDetails'].get('text')}")
        return r['result'].get('value')

    def go(self, url:str): self.send('Page.navigate', url=url); return self
    def wait(self, expr:str, what:str, timeout:float|None=None):
        "The first truthy value of `expr`, polled until `timeout`"
        return self._until(lambda: self.js(expr), what, timeout)

    def upload(self, selector:str, *files):
        "Put `files` into the file input `selector`, as a person choosing them does (the page gets its change event)"
        root = self.send('DOM.getDocument', depth=-1, pierce=True)['root']['nodeId']
        node = self.send('DOM.querySelector', nodeId=root, selector=selector)['nodeId']
        if not node: raise LookupError(f'no {selector} on the page')
        self.send('DOM.setFileInputFiles', nodeId=node, files=[str(Path(f).resolve()) for f in files])

    def choose(self, click:str, *files):
        "Answer with `files` the file chooser that the JavaScript `click` opens (a button that makes its own file input)"
        self.send('Page.enable'); self.send('Page.setInterceptFileChooserDialog', enabled=True)
        self.events.clear(); self.js(click, gesture=True)  # a file chooser opens only for a person's action
        opened = lambda: next((e for e in self.events if e['method'] == 'Page.fileChooserOpened'), None)
        m = self._until(lambda: opened() or self.send('Runtime.evaluate', expression='0') and opened(), f'a file chooser from {click[:60]}')
        self.send('DOM.setFileInputFiles', backendNodeId=m['params']['backendNodeId'], files=[str(Path(f).resolve()) for f in files])
        self.send('Page.setInterceptFileChooserDialog', enabled=False)

    def screenshot(self, fname)->Path:
        "Save what the tab shows as the PNG `fname`"
        Path(fname).write_bytes(base64.b64decode(self.send('Page.captureScreenshot', format='png')['data']))
        return Path(fname)

    def __enter__(self): return self
    def __exit__(self, *exc):
        try: self.ws.close()
        finally:
            os.killpg(self.proc.pid, signal.SIGKILL); self.proc.wait(); self.dir.cleanup()  # its helper processes too

def main(pages:list, shots:str|None=None)->int:
    bad = 0
    if shots: Path(shots).mkdir(parents=True, exist_ok=True)
    for p in map(Path, pages):
        r = check(p, shots and Path(shots)/f'{p.stem}.png')
        ok = not r['broken'] and not r['errors']
        bad += not ok
        print(f"{p.name:<28} {r['images']:>3} images{'' if ok else ': ' + json.dumps(r)}")
    return 1 if bad else 0

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('pages', nargs='+', help='HTML files')
    ap.add_argument('--shots', help='folder for a screenshot of each page')
    a = ap.parse_args()
    sys.exit(main(a.pages, a.shots))
