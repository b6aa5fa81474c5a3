"""PEP 517 build backend of the ``odoo-addon-crm_client_suite`` package.

whool builds the package from the add-on itself: version and dependencies from
``__manifest__.py``, the files under git. But it names the add-on after the
folder it builds in, so a clone in ``main/`` would give ``odoo-addon-main``,
installing ``odoo/addons/main``. This backend runs whool's own hooks in a
folder named ``crm_client_suite`` holding the clone's tracked files and a
``PKG-INFO`` with the package's name and version (computed by whool's
manifest library on the clone, git post-version included), whatever the
clone's folder is called. An sdist already carries its ``PKG-INFO`` and is
built by whool directly.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
from email.generator import Generator
from pathlib import Path

from manifestoo_core.metadata import metadata_from_addon_dir
from whool import buildapi

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ADDON = "crm_client_suite"


def _tracked_files(root):
    try:
        out = subprocess.check_output(["git", "ls-files", "-z"], cwd=root, text=True, stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        return None
    return [name for name in out.split("\0") if name and (root / name).is_file()]


def _copy_tree(root, tree):
    files = _tracked_files(root)
    if files is None:  # not a git checkout: everything but build output
        shutil.copytree(root, tree, ignore=shutil.ignore_patterns(".git", "build", "dist", "__pycache__", "*.egg-info"))
        return
    for name in files:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, tree / name)


def _metadata(root, scratch):
    """The package metadata, computed on the clone seen under the add-on's name."""
    with open(root / "pyproject.toml", "rb") as f:
        options = tomllib.load(f).get("tool", {}).get("whool", {})
    link = scratch / "named" / ADDON
    link.parent.mkdir()
    link.symlink_to(root, target_is_directory=True)
    return metadata_from_addon_dir(link, options)


@contextlib.contextmanager
def _named_tree():
    root = Path.cwd()
    if root.name == ADDON or (root / "PKG-INFO").is_file():
        yield
        return
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        metadata = _metadata(root, scratch)
        tree = scratch / "tree" / ADDON
        tree.mkdir(parents=True)
        _copy_tree(root, tree)
        with open(tree / "PKG-INFO", "w", encoding="utf-8") as f:
            Generator(f, mangle_from_=False, maxheaderlen=0).flatten(metadata)
        os.chdir(tree)
        try:
            yield
        finally:
            os.chdir(root)


def _absolute(directory):
    return str(Path(directory).resolve())


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    wheel_directory = _absolute(wheel_directory)
    with _named_tree():
        return buildapi.build_wheel(wheel_directory, config_settings)


def build_sdist(sdist_directory, config_settings=None):
    sdist_directory = _absolute(sdist_directory)
    with _named_tree():
        return buildapi.build_sdist(sdist_directory, config_settings)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    metadata_directory = _absolute(metadata_directory)
    with _named_tree():
        return buildapi.prepare_metadata_for_build_wheel(metadata_directory, config_settings)
