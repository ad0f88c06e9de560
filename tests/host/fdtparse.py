# SPDX-License-Identifier: Apache-2.0
"""A small flattened-device-tree reader (Devicetree Specification 5.x),
written here so the tests check verge-acpi against an independent reading
of the DTB, not against libfdt. Standard library only."""

import struct

FDT_MAGIC = 0xD00DFEED
BEGIN_NODE, END_NODE, PROP, NOP, END = 1, 2, 3, 4, 9


class Node:
    def __init__(self, name, parent=None):
        self.name = name
        self.parent = parent
        self.props = {}
        self.children = []

    @property
    def path(self):
        if self.parent is None:
            return "/"
        p = self.parent.path
        return (p if p.endswith("/") else p + "/") + self.name

    def u32s(self, prop):
        v = self.props[prop]
        return list(struct.unpack(">%dI" % (len(v) // 4), v))

    def strings(self, prop):
        v = self.props.get(prop, b"")
        return [s.decode() for s in v.split(b"\0")[:-1]]

    def compatible(self, c):
        return c in self.strings("compatible")

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def cells(self, prop, default):
        return self.u32s(prop)[0] if prop in self.props else default

    def reg(self):
        """[(base, size)] with the parent's #address-cells/#size-cells."""
        ac = self.parent.cells("#address-cells", 2)
        sc = self.parent.cells("#size-cells", 1)
        c = self.u32s("reg")
        out = []
        for i in range(0, len(c), ac + sc):
            out.append((join(c[i:i + ac]), join(c[i + ac:i + ac + sc])))
        return out


def join(cells):
    v = 0
    for c in cells:
        v = v << 32 | c
    return v


def parse(blob):
    magic, total, off_struct, off_strings = struct.unpack(">4I", blob[:16])
    if magic != FDT_MAGIC:
        raise ValueError("not a DTB")
    strings = blob[off_strings:]
    pos = off_struct
    root = None
    cur = None
    while True:
        (tok,) = struct.unpack(">I", blob[pos:pos + 4])
        pos += 4
        if tok == BEGIN_NODE:
            end = blob.index(b"\0", pos)
            node = Node(blob[pos:end].decode(), cur)
            if cur is None:
                root = node
            else:
                cur.children.append(node)
            cur = node
            pos = (end + 4) & ~3
        elif tok == END_NODE:
            cur = cur.parent
        elif tok == PROP:
            ln, nameoff = struct.unpack(">2I", blob[pos:pos + 8])
            pos += 8
            name = strings[nameoff:strings.index(b"\0", nameoff)].decode()
            cur.props[name] = blob[pos:pos + ln]
            pos = (pos + ln + 3) & ~3
        elif tok == NOP:
            continue
        elif tok == END:
            return root
        else:
            raise ValueError("bad token %d" % tok)


def by_compatible(root, c):
    return [n for n in root.walk() if n.compatible(c)]
