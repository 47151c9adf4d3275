"""Is optimizer X really better than Y? The models, optimizers and data of the studies."""
