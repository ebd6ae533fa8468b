# Independent reference for Causeway's non-ASCII hashing decision: FNV-1a 32 over UTF-16 code
# units, as GrowthBook's JavaScript SDK computes with charCodeAt. Writes utf16-cases.json:
#   python3 make-utf16-cases.py > utf16-cases.json
import json

def fnv1a32_utf16(text):
    data = text.encode("utf-16-le")
    h = 0x811C9DC5
    for i in range(0, len(data), 2):
        unit = data[i] | (data[i + 1] << 8)
        h ^= unit
        h = (h * 16777619) & 0xFFFFFFFF
    return h

def gb_hash(seed, value, version):
    if version == 2:
        return (fnv1a32_utf16(str(fnv1a32_utf16(seed + value))) % 10000) / 10000
    if version == 1:
        return (fnv1a32_utf16(value + seed) % 1000) / 1000
    return None

cases = []
for seed, value in [("", "é"), ("checkout", "user-é"), ("ß", "straße"), ("exp", "日本語"), ("exp", "😀"),
                    ("😀", "a"), ("exp", "e\u0301"), ("exp", "\u00e9"), ("exp", "Ω≈ç√")]:
    for version in (1, 2):
        cases.append([seed, value, version, gb_hash(seed, value, version), fnv1a32_utf16(seed + value)])
print(json.dumps({"source": "make-utf16-cases.py (FNV-1a 32 over UTF-16 code units, GrowthBook JS semantics)",
                  "columns": ["seed", "value", "version", "hash", "fnv1a32(seed+value)"], "cases": cases},
                 ensure_ascii=False, indent=1))
