"""The doc-test runner (the root conftest.py) fails a page whose example is wrong, and runs
nothing but what the block's language says."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent

PAGE = """# A page

```python title="settings.py"
LR = 0.1
```

```python
from settings import LR

assert LR == 0.1
```

```python
assert LR == 0.2, "a wrong python block"
```

```pycon
>>> LR * 2
0.2
>>> LR * 3
0.4
```

```console
$ echo hello
hello
$ echo world
mars
```

```console
$ hp --version
hp ...
```

```bash
exit 1
```

```yaml
not: [valid
```
"""


def test_wrong_examples_fail_and_other_languages_are_not_run(tmp_path: Path) -> None:
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text(PAGE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "docs"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    # settings.py written, two python blocks, two doctest lines, two console blocks
    assert "3 failed, 4 passed" in out, out
    assert "AssertionError: a wrong python block" in out
    assert "Expected:\n    0.4\nGot:\n    0.30000000000000004" in out
    assert "$ echo world\nexpected:\nmars\ngot (exit status 0):\nworld" in out
