"""`pip install .` works: the wheel carries templates, frameworks, migrations, catalogues, htmx,
Swagger UI."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def build_wheel(tmp_path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(tmp_path), str(REPO)],
                   check=True, capture_output=True)
    return next(tmp_path.glob("*.whl"))


def test_wheel_contains_the_data_and_runs_from_it(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ["assessment/_data/templates/base.html",
                     "assessment/_data/templates/questionnaire.html",
                     "assessment/_data/frameworks/some-maturity.yaml",
                     "assessment/_data/frameworks/schema.json",
                     "assessment/static/vendor/htmx.min.js", "assessment/static/vendor/sse.js",
                     "assessment/static/app.css",
                     "assessment/static/vendor/swagger-ui/swagger-ui-bundle.js",
                     "assessment/static/api-docs.html",
                     "assessment/locale/fi/LC_MESSAGES/messages.po",
                     "assessment/migrations/env.py", "reports/radar.py"]:
        assert required in names, required
    assert any(n.startswith("assessment/migrations/versions/0001") for n in names)
    assert not any(n.startswith("tests/") for n in names)

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(wheel)], check=True, capture_output=True)
    probe = (  # runs from the installed copy only, outside the source tree
        "import assessment, fastapi.testclient as tc\n"
        "from assessment.resources import data_dir\n"
        "from assessment.settings import Settings\n"
        "from assessment.web.app import create_app\n"
        "from assessment.models import metadata\n"
        f"assert str(data_dir('templates')).startswith({str(target)!r})\n"
        "app = create_app(Settings(_env_file=None, database_url='sqlite://'))\n"
        "metadata.create_all(app.state.engine)\n"
        "with tc.TestClient(app) as client:\n"
        "    page = client.get('/', headers={'Accept-Language': 'fi'})\n"
        "    assert page.status_code == 200 and '<html lang=\"fi\">' in page.text\n"
        "    assert page.url.path == '/sign-in'\n"
        "    assert client.get('/static/vendor/htmx.min.js').status_code == 200\n"
        "    assert client.get('/api/v1/docs').status_code == 200\n"
        "    assert client.get('/api/v1/openapi.json').json()['servers'] == [{'url': '/api/v1'}]\n"
        "print(assessment.__file__)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("MATURITY_FRAMEWORKS_DIR", None)
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(target))
