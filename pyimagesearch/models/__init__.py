"""The networks: the study's three CNNs (one class with a static ``build`` each), study B's MLPs, and a small GPT in nanoGPT's shape."""
