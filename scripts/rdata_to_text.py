#!/usr/bin/env python3
"""Writes the novels shipped in Debian's GNU R data packages as plain UTF-8 text, without R.

Standard library only. Two package layouts are read:
  austen ROOT OUT_DIR
      ROOT/usr/lib/R/site-library/janeaustenr/data/Rdata.{rdx,rdb}: a lazy-load database holding
      one character vector of lines per novel -> OUT_DIR/<object name>.txt
  books ROOT OUT_DIR [--skip TITLE]...
      ROOT/usr/lib/R/site-library/tidytext/extdata/books.rda: a data frame with `text` (one line
      per row) and `title` columns -> OUT_DIR/<title as a slug>.txt, skipping the titles given
ROOT is a folder into which the .deb was unpacked with `dpkg-deb -x`.

R's serialization format (the XDR variant, big-endian) is documented in R Internals, section
"Serialization formats"; only what data objects use is handled, and anything else is reported.
"""
import bz2
import gzip
import lzma
import re
import struct
import sys
import zlib
from pathlib import Path

# SEXP type codes, and the pseudo-types that appear only in serialized streams.
SYMSXP, LISTSXP, CLOSXP, ENVSXP, PROMSXP, LANGSXP = 1, 2, 3, 4, 5, 6
CHARSXP, LGLSXP, INTSXP, REALSXP, CPLXSXP, STRSXP = 9, 10, 13, 14, 15, 16
DOTSXP, VECSXP, EXPRSXP, RAWSXP, S4SXP = 17, 19, 20, 24, 25
ALTREP, ATTRLISTSXP, ATTRLANGSXP, EMPTYENV, BASEENV = 238, 239, 240, 242, 241
BASENAMESPACE, MISSINGARG, UNBOUNDVALUE, GLOBALENV, NILVALUE, REFSXP = 250, 251, 252, 253, 254, 255
PAIRLIST_TYPES = {LISTSXP, CLOSXP, PROMSXP, LANGSXP, DOTSXP, ATTRLISTSXP, ATTRLANGSXP}
MARKERS = {EMPTYENV, BASEENV, BASENAMESPACE, MISSINGARG, UNBOUNDVALUE, GLOBALENV}
LATIN1_FLAG = 1 << 2  # in a CHARSXP's "levels" bits


class RValue:
    """A deserialized R object: its type code, its payload and its attributes by name."""

    def __init__(self, kind, value, attributes=None):
        self.kind, self.value, self.attributes = kind, value, attributes or {}

    def attribute(self, name):
        return self.attributes.get(name)


class Unserializer:
    """Reads one object from an R serialization stream in XDR format."""

    def __init__(self, data, source):
        self.data, self.source, self.offset, self.references = data, source, 0, []

    def fail(self, message):
        raise ValueError(f"{self.source}: {message} (at byte {self.offset})")

    def integer(self):
        (value,) = struct.unpack_from(">i", self.data, self.offset)
        self.offset += 4
        return value

    def values(self, code, size, count):
        values = struct.unpack_from(f">{count}{code}", self.data, self.offset)
        self.offset += size * count
        return list(values)

    def length(self):
        length = self.integer()
        if length == -1:  # long vector: two more words
            upper, lower = self.integer(), self.integer()
            length = upper << 32 | (lower & 0xFFFFFFFF)
        return length

    def read(self):
        if self.data[:2] != b"X\n":
            self.fail("not an XDR serialization stream")
        self.offset = 2
        version = self.integer()
        self.integer(), self.integer()  # R versions that wrote it and can read it
        if version == 3:
            self.offset += 4 + self.integer()  # the writer's native encoding name
        return self.item()

    def item(self):
        flags = self.integer()
        kind, levels = flags & 0xFF, flags >> 12
        has_attributes, has_tag = flags & (1 << 9), flags & (1 << 10)
        if kind == NILVALUE:
            return None
        if kind in MARKERS:
            return RValue(kind, None)
        if kind == REFSXP:
            index = flags >> 8 or self.integer()
            return self.references[index - 1]
        if kind == SYMSXP:
            symbol = RValue(SYMSXP, self.item().value)
            self.references.append(symbol)
            return symbol
        if kind == ENVSXP:
            environment = RValue(ENVSXP, None)
            self.references.append(environment)
            self.integer()  # locked
            for _ in range(4):  # enclosure, frame, hash table, attributes
                self.item()
            return environment
        if kind in PAIRLIST_TYPES:
            return self.pairlist(kind, has_attributes, has_tag)
        if kind == CHARSXP:
            return self.string(levels)
        if kind == ALTREP:
            return self.altrep()
        value = self.vector(kind)
        attributes = self.attributes(self.item()) if has_attributes else {}
        return RValue(kind, value, attributes)

    def pairlist(self, kind, has_attributes, has_tag):
        """A cons cell; a chain of them is returned as one list of (tag, value) pairs."""
        attributes = self.attributes(self.item()) if has_attributes else {}
        tag = self.item() if has_tag else None
        head = self.item()
        rest = self.item()
        cells = [(tag.value if tag is not None else None, head)]
        if rest is not None and rest.kind in PAIRLIST_TYPES:
            cells += rest.value
        return RValue(kind, cells, attributes)

    def string(self, levels):
        length = self.integer()
        if length == -1:
            return RValue(CHARSXP, None)  # NA_character_
        raw = self.data[self.offset:self.offset + length]
        self.offset += length
        return RValue(CHARSXP, raw.decode("latin-1" if levels & LATIN1_FLAG else "utf-8"))

    def vector(self, kind):
        length = self.length()
        if kind in (LGLSXP, INTSXP):
            return self.values("i", 4, length)
        if kind == REALSXP:
            return self.values("d", 8, length)
        if kind == CPLXSXP:
            return self.values("d", 8, 2 * length)
        if kind == STRSXP:
            return [self.item().value for _ in range(length)]
        if kind in (VECSXP, EXPRSXP):
            return [self.item() for _ in range(length)]
        if kind == RAWSXP:
            self.offset += length
            return self.data[self.offset - length:self.offset]
        if kind == S4SXP:
            return None
        return self.fail(f"R object type {kind} is not supported")

    def altrep(self):
        """Compact sequences and wrapped vectors, the ALTREP classes that data files contain."""
        info, state, attributes = self.item(), self.item(), self.item()
        class_name = info.value[0][1].value
        if class_name in ("compact_intseq", "compact_realseq"):
            count, start, step = state.value
            values = [start + i * step for i in range(int(count))]
            kind = INTSXP if class_name == "compact_intseq" else REALSXP
            return RValue(kind, [int(v) for v in values] if kind == INTSXP else values, self.attributes(attributes))
        if class_name.startswith("wrap_"):
            wrapped = state.value[0]
            return RValue(wrapped.kind, wrapped.value, self.attributes(attributes))
        return self.fail(f"ALTREP class {class_name} is not supported")

    @staticmethod
    def attributes(pairlist):
        return {} if pairlist is None else {tag: value for tag, value in pairlist.value}


def unserialize(data, source):
    return Unserializer(data, source).read()


def decompress(data):
    """gzip, bzip2, xz or nothing, recognised by magic number."""
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:3] == b"BZh":
        return bz2.decompress(data)
    if data[:6] == b"\xfd7zXZ\x00":
        return lzma.decompress(data)
    return data


def lazyload_objects(directory, name="Rdata"):
    """{object name: RValue} from NAME.rdx (the index) and NAME.rdb (the compressed objects)."""
    index_path, database_path = directory / f"{name}.rdx", directory / f"{name}.rdb"
    index = unserialize(decompress(index_path.read_bytes()), index_path)
    fields = dict(zip(index.attribute("names").value, index.value))
    compression = fields["compressed"].value[0]
    variables = fields["variables"]
    database = database_path.read_bytes()
    objects = {}
    for name, location in zip(variables.attribute("names").value, variables.value):
        offset, length = (int(v) for v in location.value)
        chunk = database[offset:offset + length]
        objects[name] = unserialize(decompress_chunk(chunk, compression), f"{database_path}:{name}")
    return objects


def decompress_chunk(chunk, compression):
    """A lazy-load chunk: a 4-byte uncompressed length, then (for compression 2 and 3) a type
    byte, then the data; compression 1 is plain zlib."""
    if compression in (2, 3):
        kind, body = chunk[4:5], chunk[5:]
        return {b"Z": lzma.decompress, b"2": bz2.decompress, b"1": zlib.decompress, b"0": bytes}[kind](body)
    return zlib.decompress(chunk[4:])


def rda_objects(path):
    """{object name: RValue} from an .rda file written by save()."""
    data = decompress(path.read_bytes())
    if data[:5] not in (b"RDX2\n", b"RDX3\n"):
        raise ValueError(f"{path}: not an R data file")
    return {tag: value for tag, value in unserialize(data[5:], path).value}


def column(frame, name):
    """A data frame column as Python values; a factor becomes its level strings."""
    columns = dict(zip(frame.attribute("names").value, frame.value))
    values = columns[name]
    levels = values.attribute("levels")
    if levels is None:
        return values.value
    return [levels.value[code - 1] if code > 0 else None for code in values.value]


def write_lines(path, lines):
    path.write_text("\n".join(line or "" for line in lines) + "\n", encoding="utf-8")


def slug(title):
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def austen(root, out_dir):
    data = root / "usr/lib/R/site-library/janeaustenr/data"
    for name, lines in sorted(lazyload_objects(data).items()):
        write_lines(out_dir / f"{name}.txt", lines.value)
        print(f"  {name}.txt: {len(lines.value)} lines")


def books(root, out_dir, skipped):
    frame = rda_objects(root / "usr/lib/R/site-library/tidytext/extdata/books.rda")["books"]
    by_title = {}
    for line, title in zip(column(frame, "text"), column(frame, "title")):
        by_title.setdefault(title, []).append(line)
    for title, lines in by_title.items():
        if title in skipped:
            continue
        write_lines(out_dir / f"{slug(title)}.txt", lines)
        print(f"  {slug(title)}.txt: {len(lines)} lines")


def main(arguments):
    if len(arguments) < 3 or arguments[0] not in ("austen", "books"):
        sys.exit(__doc__)
    layout, root, out_dir = arguments[0], Path(arguments[1]), Path(arguments[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    if layout == "austen":
        austen(root, out_dir)
    else:
        skipped = {arguments[i + 1] for i, a in enumerate(arguments) if a == "--skip" and i + 1 < len(arguments)}
        books(root, out_dir, skipped)


if __name__ == "__main__":
    main(sys.argv[1:])
