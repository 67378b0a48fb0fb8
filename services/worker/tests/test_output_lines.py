"""Splitting raw task output into log lines: any input, bounded lines, nothing lost."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tradewind_worker.output_lines import LineSplitter


def test_lines_are_cut_at_newlines_and_an_overlong_line_in_pieces():
    splitter = LineSplitter(max_line=8)
    assert splitter.feed(b"ab\ncd") == ["ab\n"]
    assert splitter.feed(b"efghijklmn\nz") == ["cdefghij", "klmn\n"]
    assert splitter.close() == ["z"]
    assert splitter.close() == []


ascii_chunks = st.lists(st.text(alphabet="ab\n", max_size=40).map(str.encode), max_size=20)


@given(ascii_chunks, st.integers(min_value=1, max_value=16))
def test_nothing_is_lost_and_no_line_exceeds_the_bound(chunks, max_line):
    splitter = LineSplitter(max_line=max_line)
    lines = [line for chunk in chunks for line in splitter.feed(chunk)] + splitter.close()
    assert "".join(lines) == b"".join(chunks).decode()
    assert all(0 < len(line) <= max_line for line in lines)
    # Every line but the last ends at a newline, or was cut at the bound.
    assert all(line.endswith("\n") or len(line) == max_line for line in lines[:-1])
