"""The five commands, each a module with ``main(argv=None)``: train, combinations, plot,
decide and lr_find. The repository's ``train.py`` (and the others) run them as scripts;
``pip install .`` installs them as ``optimizer-train``, ``optimizer-grid``,
``optimizer-plot``, ``optimizer-decide`` and ``optimizer-lr-find``."""
