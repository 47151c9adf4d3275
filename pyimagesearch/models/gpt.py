"""A decoder-only transformer in nanoGPT's shape, in Keras layers.

Token and position embeddings; pre-LayerNorm blocks of causal self-attention and a 4x MLP
(GELU), each added back to the residual stream; a last LayerNorm; the output head tied to
the token embedding, as nanoGPT ties them. No dropout. Attention is computed from one
(width, 3 x width) query-key-value matrix and one (width, width) projection, as nanoGPT's
c_attn and c_proj: 2-D matrices, which is what Muon updates its own way (Keras'
MultiHeadAttention keeps 3-D kernels, which Muon would hand to AdamW).
"""
import keras
from keras import layers, ops

_INIT = keras.initializers.RandomNormal(stddev=0.02)  # nanoGPT's


class TokenEmbedding(layers.Layer):
    """Bytes to vectors, and (``reverse=True``) vectors to logits with the same matrix."""

    def __init__(self, vocabulary, width, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary, self.width = vocabulary, width

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(self.vocabulary, self.width),
                                          initializer=_INIT, name="embeddings")

    def call(self, x, reverse=False):
        if reverse:
            return ops.matmul(x, ops.transpose(ops.cast(self.embeddings, x.dtype)))
        return ops.take(self.embeddings, ops.cast(x, "int32"), axis=0)


class PositionEmbedding(layers.Layer):
    """Adds a learned vector per position."""

    def __init__(self, context, width, **kwargs):
        super().__init__(**kwargs)
        self.context, self.width = context, width

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(self.context, self.width), initializer=_INIT,
                                          name="embeddings")

    def call(self, x):
        return x + ops.cast(self.embeddings, x.dtype)[None, : ops.shape(x)[1]]


class CausalSelfAttention(layers.Layer):
    def __init__(self, width, heads, **kwargs):
        super().__init__(**kwargs)
        self.width, self.heads = width, heads
        self.qkv = layers.Dense(3 * width, kernel_initializer=_INIT, name="qkv")
        self.projection = layers.Dense(width, kernel_initializer=_INIT, name="projection")

    def build(self, input_shape):
        self.qkv.build(input_shape)
        self.projection.build(input_shape)

    def call(self, x):
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        q, k, v = ops.split(self.qkv(x), 3, axis=-1)
        shape = (batch, length, self.heads, self.width // self.heads)
        y = ops.dot_product_attention(ops.reshape(q, shape), ops.reshape(k, shape),
                                      ops.reshape(v, shape), is_causal=True)
        return self.projection(ops.reshape(y, (batch, length, self.width)))


class GPT:
    @staticmethod
    def build(context, vocabulary=256, depth=4, width=128, heads=4, name="gpt"):
        """``(batch, context)`` bytes in, ``(batch, context, vocabulary)`` logits of each next
        byte out."""
        tokens = keras.Input(shape=(context,), dtype="int32", name="bytes")
        embedding = TokenEmbedding(vocabulary, width, name="token_embedding")
        x = PositionEmbedding(context, width, name="position_embedding")(embedding(tokens))
        for i in range(depth):
            h = layers.LayerNormalization(epsilon=1e-5, name=f"block_{i}_norm_1")(x)
            x = x + CausalSelfAttention(width, heads, name=f"block_{i}_attention")(h)
            h = layers.LayerNormalization(epsilon=1e-5, name=f"block_{i}_norm_2")(x)
            h = layers.Dense(4 * width, activation="gelu", kernel_initializer=_INIT,
                             name=f"block_{i}_mlp_in")(h)
            x = x + layers.Dense(width, kernel_initializer=_INIT, name=f"block_{i}_mlp_out")(h)
        x = layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
        logits = embedding(x, reverse=True)
        return keras.Model(tokens, logits, name=name)
