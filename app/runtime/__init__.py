"""The engine's runtime: PyTorch and the libraries that need it.

A pip install or a source tree has them in its own Python environment. A frozen build
(packaging/) carries none of them, since a CUDA build of torch is gigabytes: the first
start installs the build that fits the NVIDIA driver, or the CPU build, into a private
folder of the data directory, from the network or from the offline bundle's wheelhouse.
Engines append that folder to their import path (main.py); the GUI never imports it.
"""
