"""Exercise 13 -- decode an instruction word of the inference core (notebook 05, memory, DMA and
the controller).

The controller fetches one 64-bit word per instruction and slices it into fields (docs/isa.md,
"Encoding"): the opcode is bits 5..0; the opcode's fields follow in the order of its table, least
significant first, each `bits` wide; every bit above the last field must be zero. For `mm` (opcode
6): a = bits 17..6, rows = 27..18, acc = 39..28, buf = 40, accumulate = 41.

Write `decode(word) -> (mnemonic, fields)`: `fields` is a dict {field name: int} with every field of
the instruction, in table order (an empty dict for nop and halt). You may read the table from
`chipkit.isa.OPS` (each op has `.code`, `.mnemonic` and `.fields`, each field `.name` and `.bits`),
but do the bit slicing yourself with >> and & (`chipkit.isa.decode` is switched off while grading).
Raise ValueError for an opcode no instruction has, and for a word with a bit set above the last
field of its instruction.

The grader compares with chipkit.isa.decode on words made by chipkit.isa.make and encode, every
opcode, every field at its extremes. Check your work: `chipkit grade --only ex13`.
"""
from chipkit.isa import OPS

OPCODE_BITS = 6


def decode(word: int) -> tuple[str, dict]:
    """The mnemonic and the {field: value} of a 64-bit instruction word."""
    # BEGIN SOLUTION hint: op with code word & 63; field = (word >> pos) & ((1 << bits) - 1)
    code = word & ((1 << OPCODE_BITS) - 1)
    op = next((o for o in OPS if o.code == code), None)
    if op is None:
        raise ValueError(f"unknown opcode {code} in word 0x{word:016x}")
    fields, pos = {}, OPCODE_BITS
    for f in op.fields:
        fields[f.name] = (word >> pos) & ((1 << f.bits) - 1)
        pos += f.bits
    if word >> pos:
        raise ValueError(f"word 0x{word:016x}: {op.mnemonic} uses bits 0..{pos - 1}, but bits "
                         "above are set")
    return op.mnemonic, fields
    # END SOLUTION
