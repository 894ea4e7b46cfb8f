"""Where the wheel puts SparkTrainer: everything under site-packages/sparktrainer/.

The code imports its packages by their own names (app, views, engine, resources) from
the folder that holds main.py, as a source checkout does (main.py puts that folder first
on sys.path). At the top of site-packages those names would clash with any other
project's `app` or `engine`; inside one folder only `sparktrainer` is taken.
"""

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

OURS = ["app", "app.*", "views", "views.*", "engine", "engine.*", "resources", "resources.*"]


class BuildPy(build_py):
    """Of the checkout's top-level files only main.py is ours to install (not setup.py)."""

    def find_package_modules(self, package: str, package_dir: str) -> list:
        found = super().find_package_modules(package, package_dir)
        return [m for m in found if package != "sparktrainer" or m[1] == "main"]


setup(
    packages=[
        "sparktrainer",
        *(f"sparktrainer.{p}" for p in find_namespace_packages(include=OURS)),
    ],
    package_dir={"sparktrainer": "."},
    cmdclass={"build_py": BuildPy},
)
