// CodeMirror 6's ChangeSet (@codemirror/state 6.x, classes ChangeDesc/ChangeSet and the functions
// mapSet, composeSets, addSection, addInsert, SectionIter) re-implemented over std::u16string.
//
// The server is the authority for @codemirror/collab, so every result here must equal the
// library's exactly: not just the same document after applying, but the same sections (the JSON
// form is what clients receive and rebase against). That is why the builders below reproduce
// CodeMirror's merge rules, including the quirks: an insertion followed by a deletion stays two
// sections, while compose "force-joins" the pieces of one overlapping change into one section.
// tests/protocol/change_differential_tests.cpp checks this against the library itself.
#include "domain/change_set.hpp"

#include <algorithm>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace mockroom::domain {
namespace {

// Value of a section's inserted length for a section that keeps its text.
constexpr std::int64_t kept = -1;
// Value of a cursor's inserted length once it has passed the last section.
constexpr std::int64_t past_end = -2;

std::size_t to_size(std::int64_t n) {
    return static_cast<std::size_t>(n);
}
std::int64_t to_signed(std::size_t n) {
    return static_cast<std::int64_t>(n);
}

// Sections and texts under construction, merged as CodeMirror merges them (addSection and
// addInsert), so that equal changes always end up with equal sections.
struct builder {
    std::vector<std::int64_t> sections;  // (length, inserted length or `kept`) pairs
    std::vector<std::u16string> texts;   // texts[i] belongs to pair i; may be shorter

    // `force_join` grows the last section instead of starting a new one: compose uses it to
    // keep all pieces of one change (which it meets one overlap at a time) in one section.
    void add_section(std::int64_t len, std::int64_t ins, bool force_join = false) {
        if (len == 0 && ins <= 0) return;  // keeps and deletions of nothing vanish
        const bool has_last = !sections.empty();
        std::int64_t* last_len = has_last ? &sections[sections.size() - 2] : nullptr;
        std::int64_t* last_ins = has_last ? &sections[sections.size() - 1] : nullptr;
        if (has_last && ins <= 0 && ins == *last_ins) {
            *last_len += len;  // keep after keep, deletion after deletion
        } else if (has_last && len == 0 && *last_len == 0) {
            *last_ins += ins;  // insertion right after a pure insertion
        } else if (has_last && force_join) {
            *last_len += len;
            *last_ins += ins;
        } else {
            sections.push_back(len);
            sections.push_back(ins);
        }
    }

    // The text of the section just added (or grown): appended to the last pair's text.
    void add_text(std::u16string_view text) {
        if (text.empty()) return;
        const std::size_t pair = sections.size() / 2 - 1;
        if (pair < texts.size()) {
            texts.back().append(text);
        } else {
            texts.resize(pair);  // pairs without text in between hold empty strings
            texts.emplace_back(text);
        }
    }
};

// Walks the sections of a change set, consuming them piece by piece (SectionIter).
class cursor {
  public:
    cursor(const std::vector<std::int64_t>& sections, const std::vector<std::u16string>& texts)
        : sections_(sections), texts_(texts) {
        next();
    }

    // The current section, minus what has been consumed of it: `len` units of the old document
    // and `ins` inserted units (`kept` for an unchanged section, `past_end` when done). `off`
    // is how much has been consumed, of the old length or (forward2) of the inserted text.
    std::int64_t len = 0;
    std::int64_t ins = past_end;
    std::int64_t off = 0;

    bool done() const { return ins == past_end; }
    // Length of what the section leaves in the new document.
    std::int64_t len2() const { return ins < 0 ? len : ins; }
    // Increases with every section; identifies the current one.
    std::size_t id() const { return next_; }

    // Inserted text of the current section (whole, regardless of `off`).
    std::u16string_view text() const {
        const std::size_t pair = next_ / 2 - 1;
        return pair < texts_.size() ? std::u16string_view(texts_[pair]) : std::u16string_view();
    }
    // `n` units of the inserted text, starting at `off`.
    std::u16string_view text_bit(std::int64_t n) const {
        const std::u16string_view all = text();
        const std::size_t from = std::min(to_size(off), all.size());
        return all.substr(from, to_size(n));
    }

    void next() {
        if (next_ < sections_.size()) {
            len = sections_[next_];
            ins = sections_[next_ + 1];
            next_ += 2;
        } else {
            len = 0;
            ins = past_end;
        }
        off = 0;
    }
    // Consumes `n` units of the old document.
    void forward(std::int64_t n) {
        if (n == len) {
            next();
        } else {
            len -= n;
            off += n;
        }
    }
    // Consumes `n` units of the new document: of the inserted text for a change.
    void forward2(std::int64_t n) {
        if (ins == kept) {
            forward(n);
        } else if (n == ins) {
            next();
        } else {
            ins -= n;
            off += n;
        }
    }

  private:
    const std::vector<std::int64_t>& sections_;
    const std::vector<std::u16string>& texts_;
    std::size_t next_ = 0;  // index in sections_ of the next pair to load
};

[[noreturn]] void mismatched_lengths() {
    throw std::invalid_argument("change_set: mismatched change set lengths");
}

// mapSet: `a` rewritten to apply after `b`, both starting from the same document.
builder map_sections(cursor a, cursor b, bool before) {
    builder out;
    // Id of the last change of `a` whose insertion has been written (0: none yet; ids of real
    // sections start at 2). A change of `a` may be written in pieces, around `b`'s changes;
    // only the first piece carries its text.
    std::size_t written = 0;
    auto text_written = [&] { return written == a.id(); };
    for (;;) {
        if ((a.done() && b.len != 0) || (b.done() && a.len != 0)) mismatched_lengths();
        if (a.ins == kept && b.ins == kept) {
            // Text neither set touches.
            const std::int64_t len = std::min(a.len, b.len);
            out.add_section(len, kept);
            a.forward(len);
            b.forward(len);
        } else if (b.ins >= 0 && (a.ins < 0 || text_written() ||
                                  (a.off == 0 && (b.len < a.len || (b.len == a.len && !before))))) {
            // A change of `b` comes first (by start, then by length, then by `before`): its
            // result is text `a` never saw, so `a` keeps it; the parts of `a` that it covers
            // are gone, except that an insertion of `a` inside it survives (once).
            std::int64_t covered = b.len;
            out.add_section(b.ins, kept);
            while (covered != 0) {
                const std::int64_t piece = std::min(a.len, covered);
                if (a.ins >= 0 && written < a.id() && a.len <= piece) {
                    out.add_section(0, a.ins);
                    out.add_text(a.text());
                    written = a.id();
                }
                a.forward(piece);
                covered -= piece;
            }
            b.next();
        } else if (a.ins >= 0) {
            // A change of `a`: it spans what `b` keeps and what `b` deletes in between, up to
            // the next change of `b` that inserts (or reaches past this one's end).
            std::int64_t len = 0;
            std::int64_t left = a.len;
            while (left != 0) {
                if (b.ins == kept) {
                    const std::int64_t piece = std::min(left, b.len);
                    len += piece;
                    left -= piece;
                    b.forward(piece);
                } else if (b.ins == 0 && b.len < left) {
                    left -= b.len;  // already deleted by `b`: nothing left to delete
                    b.next();
                } else {
                    break;
                }
            }
            const bool first_piece = written < a.id();
            out.add_section(len, first_piece ? a.ins : 0);
            if (first_piece) out.add_text(a.text());
            written = a.id();
            a.forward(a.len - left);
        } else if (a.done() && b.done()) {
            return out;
        } else {
            mismatched_lengths();
        }
    }
}

// composeSets: `a` followed by `b`, where `b` starts from the document `a` produces.
builder compose_sections(cursor a, cursor b) {
    builder out;
    // Whether the last section is a change that continues into the next step (`a`'s
    // insertion or `b`'s change is only partly consumed): the next piece joins it.
    bool open = false;
    for (;;) {
        if (a.done() && b.done()) return out;
        if (a.ins == 0) {
            // `a` deletes: `b` never sees this text.
            out.add_section(a.len, 0, open);
            a.next();
        } else if (b.len == 0 && !b.done()) {
            // `b` inserts without touching anything of `a`'s result.
            out.add_section(0, b.ins, open);
            out.add_text(b.text());
            b.next();
        } else if (a.done() || b.done()) {
            mismatched_lengths();
        } else {
            // The overlap of `a`'s result with what `b` consumes next.
            const std::int64_t len = std::min(a.len2(), b.len);
            const std::size_t sections_before = out.sections.size();
            if (a.ins == kept) {
                // Original text: `b`'s section applies as is (its insertion on the first piece).
                const std::int64_t ins_b = b.ins == kept ? kept : b.off != 0 ? 0 : b.ins;
                out.add_section(len, ins_b, open);
                if (ins_b > 0) out.add_text(b.text());
            } else if (b.ins == kept) {
                // `b` keeps part of `a`'s insertion.
                out.add_section(a.off != 0 ? 0 : a.len, len, open);
                out.add_text(a.text_bit(len));
            } else {
                // `b` replaces part of `a`'s insertion: that part never shows.
                out.add_section(a.off != 0 ? 0 : a.len, b.off != 0 ? 0 : b.ins, open);
                if (b.off == 0) out.add_text(b.text());
            }
            open = (a.ins > len || (b.ins >= 0 && b.len > len)) &&
                   (open || out.sections.size() > sections_before);
            a.forward2(len);
            b.forward(len);
        }
    }
}

}  // namespace

change_set change_set::from_parts(const std::vector<part>& parts) {
    builder b;
    for (const part& p : parts) {
        if (const auto* k = std::get_if<keep>(&p)) {
            b.add_section(to_signed(k->length), kept);
        } else {
            const auto& r = std::get<replace>(p);
            b.add_section(to_signed(r.deleted), to_signed(r.inserted.size()));
            b.add_text(r.inserted);
        }
    }
    change_set result;
    result.sections_ = std::move(b.sections);
    result.inserted_ = std::move(b.texts);
    return result;
}

std::vector<change_set::part> change_set::parts() const {
    std::vector<part> result;
    result.reserve(sections_.size() / 2);
    for (std::size_t i = 0; i < sections_.size(); i += 2) {
        const std::int64_t len = sections_[i];
        const std::int64_t ins = sections_[i + 1];
        if (ins < 0) {
            result.emplace_back(keep{to_size(len)});
        } else {
            const std::size_t pair = i / 2;
            result.emplace_back(replace{
                to_size(len), pair < inserted_.size() ? inserted_[pair] : std::u16string()});
        }
    }
    return result;
}

std::size_t change_set::length() const {
    std::int64_t total = 0;
    for (std::size_t i = 0; i < sections_.size(); i += 2) total += sections_[i];
    return to_size(total);
}

std::size_t change_set::new_length() const {
    std::int64_t total = 0;
    for (std::size_t i = 0; i < sections_.size(); i += 2) {
        const std::int64_t ins = sections_[i + 1];
        total += ins < 0 ? sections_[i] : ins;
    }
    return to_size(total);
}

bool change_set::empty() const {
    return sections_.empty() || (sections_.size() == 2 && sections_[1] < 0);
}

std::u16string change_set::apply(const std::u16string& doc) const {
    if (doc.size() != length()) {
        throw std::invalid_argument("change_set: applying to a document of the wrong length");
    }
    std::u16string result;
    result.reserve(new_length());
    std::size_t pos = 0;
    for (std::size_t i = 0; i < sections_.size(); i += 2) {
        const std::size_t len = to_size(sections_[i]);
        if (sections_[i + 1] < 0) {
            result.append(doc, pos, len);
        } else if (i / 2 < inserted_.size()) {
            result.append(inserted_[i / 2]);
        }
        pos += len;
    }
    return result;
}

void change_set::apply_in_place(std::u16string& doc) const {
    if (doc.size() != length()) {
        throw std::invalid_argument("change_set: applying to a document of the wrong length");
    }
    // Back to front, so the positions of the changes still to make stay valid.
    std::size_t end = doc.size();
    for (std::size_t i = sections_.size(); i >= 2; i -= 2) {
        const std::size_t len = to_size(sections_[i - 2]);
        end -= len;
        if (sections_[i - 1] >= 0) {
            const std::size_t k = (i - 2) / 2;
            if (k < inserted_.size()) {
                doc.replace(end, len, inserted_[k]);
            } else {
                doc.erase(end, len);
            }
        }
    }
}

change_set change_set::map(const change_set& other, bool before) const {
    if (other.length() != length()) mismatched_lengths();
    if (other.empty()) return *this;
    builder b = map_sections(cursor(sections_, inserted_), cursor(other.sections_, other.inserted_),
                             before);
    change_set result;
    result.sections_ = std::move(b.sections);
    result.inserted_ = std::move(b.texts);
    return result;
}

change_set change_set::compose(const change_set& next) const {
    if (next.length() != new_length()) mismatched_lengths();
    // As in CodeMirror, an empty side returns the other one untouched.
    if (empty()) return next;
    if (next.empty()) return *this;
    builder b =
        compose_sections(cursor(sections_, inserted_), cursor(next.sections_, next.inserted_));
    change_set result;
    result.sections_ = std::move(b.sections);
    result.inserted_ = std::move(b.texts);
    return result;
}

std::size_t change_set::map_pos(std::size_t pos, int assoc) const {
    const std::int64_t target = to_signed(pos);
    std::int64_t pos_a = 0;  // start of the current section in the old document
    std::int64_t pos_b = 0;  // ...and in the new one
    for (std::size_t i = 0; i < sections_.size(); i += 2) {
        const std::int64_t len = sections_[i];
        const std::int64_t ins = sections_[i + 1];
        const std::int64_t end_a = pos_a + len;
        if (ins < 0) {
            if (end_a > target) return to_size(pos_b + (target - pos_a));
            pos_b += len;
        } else {
            // Inside (or, for a pure insertion, exactly at) a change: a position strictly
            // inside a replaced range goes to its start for assoc < 0 and its end otherwise; at
            // the start of the range it stays before the inserted text.
            if (end_a > target || (end_a == target && assoc < 0 && len == 0)) {
                return to_size(target == pos_a || assoc < 0 ? pos_b : pos_b + ins);
            }
            pos_b += ins;
        }
        pos_a = end_a;
    }
    if (target > pos_a) throw std::out_of_range("change_set: position out of range");
    return to_size(pos_b);
}

}  // namespace mockroom::domain
