#!/usr/bin/env python3
"""Generates src/engine/unicode_data.cpp from the Unicode Character Database.

Reads Debian's unicode-data package (/usr/share/unicode/UnicodeData.txt and
PropList.txt) and writes compact tables that src/engine/unicode.cpp searches:

  * general-category ranges: (first code point, category), one entry where
    the category changes, unassigned code points are "undefined";
  * White_Space code points (PropList.txt);
  * simple lowercase mapping as runs (first, last, stride, delta);
  * the first code point of each canonical decomposition (NFD), as runs
    (first, last, stride, delta) or constant-target runs.

The categories are grouped the way the tokenizers of llama.cpp group them
(letter, number, mark, punctuation, symbol, separator, control, undefined),
since our pre-tokenizers must split exactly like theirs.

Usage: scripts/gen_unicode_tables.py [UCD_DIR] > src/engine/unicode_data.cpp
The generated file is committed; the build does not need the package.
"""
import os
import sys

UCD = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode"
MAX_CPT = 0x110000

# Must match enum class Category in src/engine/unicode.h.
CATEGORY = {
    "Cn": 0,  # undefined
    "Lu": 1, "Ll": 1, "Lt": 1, "Lm": 1, "Lo": 1,  # letter
    "Nd": 2, "Nl": 2, "No": 2,  # number
    "Mn": 3, "Mc": 3, "Me": 3,  # mark (accent)
    "Pc": 4, "Pd": 4, "Ps": 4, "Pe": 4, "Pi": 4, "Pf": 4, "Po": 4,  # punctuation
    "Sm": 5, "Sc": 5, "Sk": 5, "So": 5,  # symbol
    "Zs": 6, "Zl": 6, "Zp": 6,  # separator
    "Cc": 7, "Cf": 7, "Co": 7, "Cs": 7,  # control
}
CATEGORY_NAMES = ["kUndefined", "kLetter", "kNumber", "kMark", "kPunctuation",
                  "kSymbol", "kSeparator", "kControl"]


def read_unicode_data():
    cats = [0] * MAX_CPT
    lower = {}
    decomp = {}
    range_first = None
    with open(os.path.join(UCD, "UnicodeData.txt"), encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split(";")
            cpt = int(fields[0], 16)
            name, cat = fields[1], fields[2]
            if name.endswith(", First>"):
                range_first = cpt
                continue
            if name.endswith(", Last>"):
                for c in range(range_first, cpt + 1):
                    cats[c] = CATEGORY[cat]
                range_first = None
                continue
            cats[cpt] = CATEGORY[cat]
            if fields[13]:
                lower[cpt] = int(fields[13], 16)
            if fields[5] and not fields[5].startswith("<"):
                decomp[cpt] = [int(x, 16) for x in fields[5].split()]
    return cats, lower, decomp


def read_whitespace():
    result = []
    with open(os.path.join(UCD, "PropList.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#")[0].strip()
            if not line:
                continue
            cpts, prop = [x.strip() for x in line.split(";")]
            if prop != "White_Space":
                continue
            if ".." in cpts:
                a, b = [int(x, 16) for x in cpts.split("..")]
            else:
                a = b = int(cpts, 16)
            result.extend(range(a, b + 1))
    return sorted(result)


def nfd_first(cpt, decomp):
    # Hangul syllables decompose algorithmically; the first part is the leading jamo.
    if 0xAC00 <= cpt <= 0xD7A3:
        return 0x1100 + (cpt - 0xAC00) // (21 * 28)
    while cpt in decomp:
        cpt = decomp[cpt][0]
    return cpt


def runs(mapping):
    """Compresses {src: dst} into (first, last, stride, delta) runs where
    dst = src + delta for src = first, first+stride, ..., last."""
    items = sorted(mapping.items())
    out = []
    i = 0
    while i < len(items):
        first, dst = items[i]
        delta = dst - first
        stride = 1
        last = first
        j = i + 1
        if j < len(items):
            s = items[j][0] - first
            if s in (1, 2) and items[j][1] - items[j][0] == delta:
                stride = s
                while j < len(items) and items[j][0] - last == stride and items[j][1] - items[j][0] == delta:
                    last = items[j][0]
                    j += 1
        out.append((first, last, stride, delta))
        i = j if last != first else i + 1
    return out


def const_runs(mapping):
    """Compresses {src: dst} into (first, last, target) runs of consecutive
    sources that share one target."""
    items = sorted(mapping.items())
    out = []
    for src, dst in items:
        if out and out[-1][1] + 1 == src and out[-1][2] == dst:
            out[-1] = (out[-1][0], src, dst)
        else:
            out.append((src, src, dst))
    return out


def main():
    cats, lower, decomp = read_unicode_data()
    ws = read_whitespace()

    cat_ranges = []
    for cpt in range(MAX_CPT):
        if not cat_ranges or cat_ranges[-1][1] != cats[cpt]:
            cat_ranges.append((cpt, cats[cpt]))

    lower_runs = runs({c: l for c, l in lower.items() if c != l})

    nfd = {}
    for cpt in range(MAX_CPT):
        if cats[cpt] == 0 and not (0xAC00 <= cpt <= 0xD7A3):
            continue
        first = nfd_first(cpt, decomp)
        if first != cpt:
            nfd[cpt] = first
    # Decompositions mostly map runs of letters onto one base letter
    # (e.g. U+00C0..U+00C5 -> 'A'), so constant-target runs compress best.
    nfd_const = const_runs(nfd)

    out = sys.stdout
    out.write("// Generated by scripts/gen_unicode_tables.py from the Unicode Character\n")
    out.write("// Database (Debian package unicode-data). Do not edit.\n")
    with open(os.path.join(UCD, "ReadMe.txt"), encoding="utf-8", errors="replace") as f:
        for line in f:
            if "Version" in line or "version" in line:
                out.write("// UCD: " + line.strip() + "\n")
                break
    out.write('#include "engine/unicode.h"\n\n')
    out.write("namespace hearth::engine::unicode::detail {\n\n")

    out.write("const CategoryRange kCategoryRanges[] = {\n")
    for i in range(0, len(cat_ranges), 4):
        chunk = cat_ranges[i:i + 4]
        out.write("    " + " ".join("{0x%05X, Category::%s}," % (c, CATEGORY_NAMES[k]) for c, k in chunk) + "\n")
    out.write("};\n")
    out.write("const size_t kCategoryRangesSize = sizeof(kCategoryRanges) / sizeof(kCategoryRanges[0]);\n\n")

    out.write("const uint32_t kWhitespace[] = {\n    ")
    out.write(", ".join("0x%04X" % c for c in ws))
    out.write(",\n};\n")
    out.write("const size_t kWhitespaceSize = sizeof(kWhitespace) / sizeof(kWhitespace[0]);\n\n")

    out.write("const DeltaRun kLowercaseRuns[] = {\n")
    for i in range(0, len(lower_runs), 3):
        chunk = lower_runs[i:i + 3]
        out.write("    " + " ".join("{0x%05X, 0x%05X, %d, %d}," % r for r in chunk) + "\n")
    out.write("};\n")
    out.write("const size_t kLowercaseRunsSize = sizeof(kLowercaseRuns) / sizeof(kLowercaseRuns[0]);\n\n")

    out.write("const TargetRun kNfdFirstRuns[] = {\n")
    for i in range(0, len(nfd_const), 3):
        chunk = nfd_const[i:i + 3]
        out.write("    " + " ".join("{0x%05X, 0x%05X, 0x%05X}," % r for r in chunk) + "\n")
    out.write("};\n")
    out.write("const size_t kNfdFirstRunsSize = sizeof(kNfdFirstRuns) / sizeof(kNfdFirstRuns[0]);\n\n")
    out.write("}  // namespace hearth::engine::unicode::detail\n")
    print("categories=%d whitespace=%d lower_runs=%d nfd_runs=%d" %
          (len(cat_ranges), len(ws), len(lower_runs), len(nfd_const)), file=sys.stderr)


if __name__ == "__main__":
    main()
