"""The data: the studies' datasets read offline, your folders and arrays, text as bytes, and the batched augmentation."""
