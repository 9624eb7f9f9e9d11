"""SASRec (Kang & McAuley, ICDM 2018) as a `bench recsys` baseline: the strongest standard
sequential model, measured under the bench's own protocol, split and metrics.

This module owns the model and its training loop only; the bench (`bench/recsys.py`) picks it
by the label `sasrec`, and it goes through the same `rank_users` (seen items excluded through the
same user rows), metrics, bootstrap and paired difference as every other model. It subclasses
`recsys.base.Recommender` for that shared machinery; no domain module imports it.

Why not recbole's `SASRec`: recbole 1.2.1 is installed `--no-deps` only as the source of ml-100k
and does not import here (no colorlog, ray, ... and it predates numpy 2 / pandas 3); and its
pipeline builds its own dataset from atomic files and re-splits/re-indexes it by its own config
(leave-one-out or ratio splits, its own filtering), so feeding it our per-user temporal split
faithfully would take pre-split benchmark files plus its trainer and evaluator. A compact model in
plain PyTorch keeps training on exactly our training split and scoring through our code.

The model: item embeddings (shared for input and output, scaled by sqrt(d)) plus learned
position embeddings counted from the sequence's end; `blocks` pre-LayerNorm causal self-attention
blocks with a point-wise feed-forward layer; dropout; the last position's state dotted with every
item embedding is the score. Training: next-item prediction at every position of each user's
time-ordered positive training sequence (long ones cut into windows of `max_len`), full-softmax
cross-entropy over the items that have a training positive (recbole's default `loss_type=CE`; it
converges in far fewer epochs than the paper's BCE with one sampled negative). Items with no
training positive cannot be learnt and rank below every learnt item, as in the item-item models.

Hyperparameters: hidden 64, 2 blocks, 1 head, max length 50 (recbole's default), dropout 0.5 (the
paper's for sparse data), Adam lr 3e-3 (betas 0.9, 0.98), batch 64 sequences. lr and dropout
were picked on ml-latest-small's validation split inside training (lr 1e-3 stalled at the
popularity plateau and early stopping fired at epoch 6; dropout 0.5 peaked at NDCG@10 0.101 on
validation against 0.095 for 0.2); nothing was picked on a test half.

Epochs: early stopping on a validation split carved from the TRAINING data only (each user's
latest 20 % of training positives, `temporal_split` again, as `bench recsys --tune` does): train
on the rest, score NDCG@10 on it after every epoch, stop after `patience` epochs without a gain;
then retrain from the same seed on the whole training split for the best number of epochs (so
the most recent training items are targets too). The test half is never read. Fixed seed; torch
runs on one thread. `decay` is accepted like every model's and only shapes the rows used for
exclusion and fallbacks: order is what a sequence model uses.
"""
from __future__ import annotations

import math
import time

import numpy as np

from ..recsys.base import Recommender
from ..recsys.interactions import Interactions


def _sequences(log: Interactions, users, items) -> dict[int, list[int]]:
    """user index -> item indices of that user's positives (weight >= POSITIVE) in time order
    (ties keep the log's order): what the model reads and is trained to continue."""
    from ..recsys.matrix import POSITIVE

    if len(log) == 0:
        return {}
    u = users.lookup(log.users)
    i = items.lookup(log.items)
    keep = (log.weights >= POSITIVE) & (u >= 0) & (i >= 0)
    order = np.lexsort((np.arange(len(log)), log.timestamps, u))
    out: dict[int, list[int]] = {}
    for r in order[keep[order]]:
        out.setdefault(int(u[r]), []).append(int(i[r]))
    return out


def _net(n_items: int, dim: int, blocks: int, heads: int, max_len: int, dropout: float):
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
            self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
            self.ffn = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dim, dim))
            self.drop = nn.Dropout(dropout)

        def forward(self, x, mask, keep):
            h = self.ln1(x)
            x = x + self.drop(self.attn(h, h, h, attn_mask=mask, need_weights=False)[0])
            x = x + self.drop(self.ffn(self.ln2(x)))
            return x * keep

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.item = nn.Embedding(n_items + 1, dim, padding_idx=0)   # 0 = padding
            self.pos = nn.Embedding(max_len, dim)
            self.drop = nn.Dropout(dropout)
            self.blocks = nn.ModuleList(Block() for _ in range(blocks))
            self.ln = nn.LayerNorm(dim)
            nn.init.normal_(self.item.weight, std=dim ** -0.5)
            with torch.no_grad():
                self.item.weight[0].zero_()

        def forward(self, seq):   # seq: (B, L) item index + 1, left-padded with 0
            B, L = seq.shape
            pos = torch.arange(max_len - L, max_len)   # positions counted from the end
            keep = (seq > 0).unsqueeze(-1).float()
            x = self.drop(self.item(seq) * math.sqrt(dim) + self.pos(pos)) * keep
            # Causal and no padded key; finite (not -inf) so an all-padding row cannot give NaN.
            bad = torch.triu(torch.ones(L, L, dtype=torch.bool), 1)[None] | (seq == 0)[:, None, :]
            mask = torch.zeros(B, L, L).masked_fill(bad, -1e9).repeat_interleave(heads, 0)
            for blk in self.blocks:
                x = blk(x, mask, keep)
            return self.ln(x)

    return Net()


class SASRec(Recommender):
    """Self-attentive sequential recommendation; see the module docstring for the protocol."""

    name = "sasrec"

    def __init__(self, dim: int = 64, blocks: int = 2, heads: int = 1, max_len: int = 50, dropout: float = 0.5,
                 lr: float = 3e-3, batch: int = 64, max_epochs: int = 60, patience: int = 5,
                 epochs: int | None = None, seed: int = 0, log=None, **kw):
        super().__init__(**kw)
        self.dim, self.blocks, self.heads, self.max_len, self.dropout = dim, blocks, heads, max_len, dropout
        self.lr, self.batch, self.max_epochs, self.patience, self.seed = lr, batch, max_epochs, patience, seed
        self.epochs = epochs   # a fixed number of epochs: skips the validation run
        self.log = log
        self.net, self.seqs, self.active = None, {}, np.zeros(0, np.int64)
        self.history: list[tuple[int, float]] = []   # (epoch, validation NDCG@10)
        self.best_epochs = 0

    # ---- training ------------------------------------------------------------------------------
    def _fit(self):
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            self.seqs = _sequences(self._train, self.users, self.items)
            self.history = []
            if not self.seqs:
                self.net, self.active = None, np.zeros(0, np.int64)
                return
            epochs = self.epochs
            if epochs is None:
                epochs = self._choose_epochs()
            self.best_epochs = epochs
            self.net, self.active = self._train_net(self.seqs, epochs)
        finally:
            torch.set_num_threads(threads)

    def _choose_epochs(self) -> int:
        """Early stopping on each user's latest 20 % of training positives (never the test half)."""
        from ..recsys.metrics import ndcg_at_k
        from ..recsys.split import temporal_split

        inner, val = temporal_split(self._train)
        inner_seqs = _sequences(inner, self.users, self.items)
        vu = [u for u in self.users.lookup(list(val)).tolist() if u in inner_seqs]
        truth = [set(self.items.lookup(val[self.users.ids[u]]).tolist()) for u in vu]
        if not vu or not inner_seqs:
            return max(1, self.max_epochs // 10)
        best = [0.0, 1]

        def check(epoch, net, active):
            S = self._scores(net, active, [inner_seqs[u] for u in vu])
            for r, u in enumerate(vu):
                S[r, inner_seqs[u]] = -np.inf
            top = np.argsort(-S, axis=1)[:, :10]
            score = float(np.mean([ndcg_at_k(t.tolist(), rel, 10) for t, rel in zip(top, truth)]))
            self.history.append((epoch, round(score, 4)))
            if score > best[0]:
                best[:] = [score, epoch]
            return epoch - best[1] >= self.patience   # stop

        self._train_net(inner_seqs, self.max_epochs, check)
        return best[1]

    def _train_net(self, seqs: dict[int, list[int]], epochs: int, after_epoch=None):
        import torch
        import torch.nn.functional as F

        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        active = np.unique(np.concatenate([np.asarray(s) for s in seqs.values()]))
        where = np.full(len(self.items) + 1, -1, np.int64)
        where[active + 1] = np.arange(len(active))   # item index + 1 -> class among the active items
        L = self.max_len
        windows = []   # (input, target) pairs of length <= L, cut from each sequence's end
        for s in seqs.values():
            s = np.asarray(s, np.int64) + 1
            for end in range(len(s), 1, -L):
                a = max(0, end - L - 1)
                windows.append((s[a:end - 1], s[a + 1:end]))
        net = _net(len(self.items), self.dim, self.blocks, self.heads, L, self.dropout)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, betas=(0.9, 0.98))
        act = torch.as_tensor(active + 1)
        for epoch in range(1, epochs + 1):
            net.train()
            t0, total = time.perf_counter(), 0.0
            perm = rng.permutation(len(windows))
            for a in range(0, len(perm), self.batch):
                chunk = [windows[j] for j in perm[a:a + self.batch]]
                m = max(len(x) for x, _ in chunk)
                X = np.zeros((len(chunk), m), np.int64)
                Y = np.zeros((len(chunk), m), np.int64)
                for r, (x, y) in enumerate(chunk):
                    X[r, m - len(x):], Y[r, m - len(y):] = x, y
                H = net(torch.as_tensor(X))
                valid = torch.as_tensor(Y > 0)
                logits = H[valid] @ net.item(act).T
                loss = F.cross_entropy(logits, torch.as_tensor(where[Y[Y > 0]]))
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(chunk)
            if self.log:
                self.log(f"    sasrec epoch {epoch}: loss {total / len(windows):.3f} ({time.perf_counter() - t0:.1f}s)")
            if after_epoch is not None and after_epoch(epoch, net, active):
                break
        net.eval()
        return net, active

    # ---- scoring -------------------------------------------------------------------------------
    def _scores(self, net, active, seqs: list[list[int]], batch: int = 256) -> np.ndarray:
        """Scores over the catalogue for each sequence (item indices, oldest first); items without
        a training positive sit below the lowest learnt score."""
        import torch

        out = np.zeros((len(seqs), len(self.items)), np.float32)
        if net is None or not len(active):
            return out
        net.eval()
        n = net.item.num_embeddings - 1   # items added after the fit are cold
        cold = np.ones(len(self.items), bool)
        cold[active] = False
        with torch.no_grad():
            E = net.item.weight[1:]
            for a in range(0, len(seqs), batch):
                chunk = [np.asarray(s[-self.max_len:], np.int64) + 1 for s in seqs[a:a + batch]]
                m = max(1, max(len(s) for s in chunk))
                X = np.zeros((len(chunk), m), np.int64)
                for r, s in enumerate(chunk):
                    if len(s):
                        X[r, m - len(s):] = s
                S = np.zeros((len(chunk), len(self.items)), np.float32)
                S[:, :n] = (net(torch.as_tensor(X))[:, -1] @ E.T).numpy()
                S[:, cold] = S[:, ~cold].min(axis=1, keepdims=True) - 1.0
                S[[not len(s) for s in chunk]] = 0.0   # no history: flat, so the popularity fallback
                out[a:a + len(chunk)] = S
        return out

    def _score_rows(self, rows, trained_users):
        """A trained user reads their training sequence; any other row (a new user, one edited
        online) is read oldest-first by its decayed weights (older events weigh less)."""
        import torch

        seqs = []
        for r, u in enumerate(np.asarray(trained_users).tolist()):
            if u >= 0 and u in self.seqs:
                seqs.append(self.seqs[u])
                continue
            a, b = rows.indptr[r], rows.indptr[r + 1]
            idx, w = rows.indices[a:b], rows.data[a:b]
            pos = w > 0
            seqs.append(idx[pos][np.lexsort((idx[pos], w[pos]))].tolist())
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return self._scores(self.net, self.active, seqs)
        finally:
            torch.set_num_threads(threads)

    def describe(self):
        return {**super().describe(), "epochs": self.best_epochs, "validation_ndcg@10": self.history[-8:]}
