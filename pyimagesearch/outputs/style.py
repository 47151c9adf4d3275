"""How an optimizer setting looks, the same in every PNG and on the page: the k-th setting
of a problem (in the order the figures and the page both list them) has the k-th colour
and marker, so two curves that overlap still show both."""

# matplotlib's tab10, which is also D3's and Plotly's default: the same hex on both
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]
# (matplotlib, Plotly) marker names, alike in shape
MARKERS = [("o", "circle"), ("s", "square"), ("^", "triangle-up"), ("D", "diamond"),
           ("v", "triangle-down"), ("P", "cross"), ("X", "x"), ("*", "star"),
           ("h", "hexagon"), ("p", "pentagon")]


def colour(k):
    return PALETTE[k % len(PALETTE)]


def marker(k, plotly=False):
    return MARKERS[k % len(MARKERS)][1 if plotly else 0]
