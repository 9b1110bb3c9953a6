"""Every ISA field value is checked wherever it enters: a value out of its table (mem=5, a field
out of its bits, an unknown opcode, reserved bits set) is refused by make, the assembler, encode,
decode, disassemble, save and load with a ChipkitError that names the field; every value in its
table round-trips through all of them."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chipkit import isa
from chipkit.errors import ChipkitError

FIELDS = [(op, f) for op in isa.OPS for f in op.fields]
NAMED = [(op, f) for op, f in FIELDS if f.names]
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def good(f):
    """The values field `f` takes."""
    if f.names:
        return st.sampled_from(sorted(f.names.values()))
    return st.integers(0, f.limit) | st.sampled_from([0, f.limit])


def outside_bits(f):
    return st.integers(-(1 << 128), -1) | st.integers(f.limit + 1, 1 << 128)


def unnamed(f):
    """Codes that fit the field's bits but name nothing (mem: 5..7)."""
    return st.sampled_from(sorted(set(range(f.limit + 1)) - set(f.names.values())))


@st.composite
def instruction(draw, op=None):
    op = op or draw(st.sampled_from(isa.OPS))
    return op, {f.name: draw(good(f)) for f in op.fields}


def raw_word(op, args) -> int:
    """The word of `args` laid out as the encoding says, without any check."""
    word, pos = op.code, isa.OPCODE_BITS
    for f in op.fields:
        word |= args[f.name] << pos
        pos += f.bits
    return word


def asm(op, args) -> str:
    return op.mnemonic + " " + ", ".join(f"{k}={v}" for k, v in args.items())


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fields")


# --- values in the table round-trip ------------------------------------------------------------
@SETTINGS
@given(st.lists(instruction(), min_size=1, max_size=8), st.sampled_from([".hex", ".bin"]))
def test_every_value_in_its_table_round_trips(folder, program, suffix):
    made = [isa.make(op.mnemonic, **args) for op, args in program]
    words = [isa.encode(i) for i in made]
    assert words == [raw_word(op, args) for op, args in program]
    assert [isa.decode(w) for w in words] == made
    text = isa.disassemble(words)
    assert isa.assemble(text) == words == isa.assemble("\n".join(asm(*p) for p in program))
    path = folder / f"p{suffix}"
    isa.save(words, path)
    assert isa.load(path) == words


# --- values out of their table are refused, naming the field -----------------------------------
@st.composite
def bad_value(draw, fields=FIELDS, fitting=False):
    """(op, valid args, the field, a value it does not take); `fitting`: one its bits hold."""
    op, f = draw(st.sampled_from(fields))
    _, args = draw(instruction(op))
    if fitting:
        return op, args, f, draw(unnamed(f))
    value = draw(outside_bits(f) | unnamed(f)) if f.names else draw(outside_bits(f))
    return op, args, f, value


@SETTINGS
@given(bad_value())
def test_make_encode_and_the_assembler_refuse_a_value_out_of_its_table(case):
    op, args, f, value = case
    bad = {**args, f.name: value}
    named = f"{f.name}={value}"
    with pytest.raises(ChipkitError, match=f"{op.mnemonic} {named} "):
        isa.make(op.mnemonic, **bad)
    with pytest.raises(ChipkitError, match=f"{op.mnemonic} {named} "):
        isa.encode(isa.Instr(op, bad))
    with pytest.raises(ChipkitError, match=f"{op.mnemonic} {named} "):
        isa.disassemble_one(isa.Instr(op, bad))
    text = asm(op, bad)
    column = text.index(f" {named}") + len(f.name) + 3  # 1-based, at the value
    with pytest.raises(isa.AsmError, match=rf"^line 2, column {column}: {named} "):
        isa.assemble("nop\n" + text + "\nhalt")


def _refused(call, *words):
    with pytest.raises(ChipkitError) as e:
        call(*words)
    return str(e.value)


@SETTINGS
@given(bad_value(NAMED, fitting=True))
def test_a_word_with_an_unnamed_code_is_refused_everywhere_it_enters(folder, case):
    """A word can only hold a value its bits fit: the unnamed codes (mem=5..7)."""
    op, args, f, value = case
    word = raw_word(op, {**args, f.name: value})
    why = f"{op.mnemonic} {f.name}={value} names no {f.noun}; use one of"
    assert why in _refused(isa.decode, word)
    assert f"words[1]: word 0x{word:016x}: {why}" in _refused(isa.disassemble, [1, word])
    path = folder / "refused.hex"
    assert f"words[0]: word 0x{word:016x}: {why}" in _refused(isa.save, [word], path)
    assert not path.exists()
    (folder / "p.hex").write_text(f"{1:016x}\n// a comment\n{word:016x}\n")
    assert f"p.hex line 3: word 0x{word:016x}: {why}" in _refused(isa.load, folder / "p.hex")
    (folder / "p.bin").write_bytes((1).to_bytes(8, "little") + word.to_bytes(8, "little"))
    assert f"p.bin word 1 (byte 8): word 0x{word:016x}: {why}" in _refused(isa.load,
                                                                         folder / "p.bin")


@SETTINGS
@given(st.integers(len(isa.OPS), (1 << isa.OPCODE_BITS) - 1), st.integers(0, (1 << 58) - 1))
def test_unknown_opcodes_are_refused_everywhere(folder, code, rest):
    word = code | rest << isa.OPCODE_BITS
    for call in (isa.decode, lambda w: isa.disassemble([w]), lambda w: isa.save([w], folder / "x")):
        assert f"unknown opcode {code} in word 0x{word:016x}" in _refused(call, word)
    (folder / "u.bin").write_bytes(word.to_bytes(8, "little"))
    assert "u.bin word 0 (byte 0): unknown opcode" in _refused(isa.load, folder / "u.bin")


@SETTINGS
@given(instruction(), st.data())
def test_reserved_bits_are_refused_everywhere(folder, program, data):
    op, args = program
    if op.used_bits == isa.WORD_BITS:
        return
    word = raw_word(op, args) | 1 << data.draw(st.integers(op.used_bits, isa.WORD_BITS - 1))
    why = f"{op.mnemonic} uses bits 0..{op.used_bits - 1}, but bits above are set"
    for call in (isa.decode, lambda w: isa.disassemble([w]), lambda w: isa.save([w], folder / "x")):
        assert why in _refused(call, word)
    (folder / "r.hex").write_text(f"{word:x}\n")
    assert f"r.hex line 1: word 0x{word:016x}: {why}" in _refused(isa.load, folder / "r.hex")


NOT_WORDS = st.one_of(
    st.booleans(), st.floats(allow_nan=True), st.integers(max_value=-1),
    st.integers(min_value=1 << isa.WORD_BITS), st.text(max_size=5), st.none(),
    st.lists(st.integers(0, 3), max_size=2), st.just(isa.make("halt")))


@SETTINGS
@given(NOT_WORDS, st.integers(0, 3))
def test_what_is_no_word_is_refused_by_index(folder, value, at):
    words = [1] * at + [value] + [1]
    for call, name in ((isa.disassemble, "words"), (isa.program_words, "program"),
                       (lambda w: isa.save(w, folder / "n.bin"), "words")):
        assert f"{name}[{at}]: an instruction word is a 64-bit unsigned integer" in _refused(
            call, words)
    assert "an instruction word is a 64-bit unsigned integer" in _refused(isa.decode, value)


@SETTINGS
@given(st.sampled_from(FIELDS), st.one_of(st.booleans(), st.floats(), st.none(),
                                          st.text(max_size=4), st.lists(st.integers())))
def test_make_refuses_what_is_no_integer_naming_the_field(case, value):
    op, f = case
    args = {g.name: 0 for g in op.fields}
    if f.names and isinstance(value, str) and value.lower() in f.names:
        return
    message = _refused(lambda: isa.make(op.mnemonic, **{**args, f.name: value}))
    assert message.startswith(f"{op.mnemonic} {f.name}")
