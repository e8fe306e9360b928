// Text changes with the semantics of @codemirror/state's ChangeSet: positions and lengths in
// UTF-16 code units, apply, map (with CodeMirror's tie-break for insertions at one position),
// compose, and position mapping for cursors. Pure std; the JSON form lives in protocol/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mockroom::domain {

class change_set {
  public:
    // One piece of the JSON form, in document order.
    struct keep {
        std::size_t length = 0;  // this many units unchanged
        bool operator==(const keep&) const = default;
    };
    struct replace {
        std::size_t deleted = 0;  // this many units removed...
        std::u16string inserted;  // ...and this put in their place (lines joined by '\n')
        bool operator==(const replace&) const = default;
    };
    using part = std::variant<keep, replace>;

    change_set() = default;
    // Builds from pieces, normalizing as CodeMirror does (adjacent pieces of a kind merge,
    // empty pieces vanish), so parts() is CodeMirror's canonical toJSON form.
    static change_set from_parts(const std::vector<part>& parts);
    std::vector<part> parts() const;

    std::size_t length() const;      // length of the document it applies to
    std::size_t new_length() const;  // length after applying it
    bool empty() const;              // changes nothing

    // Preconditions (checked by the caller): doc.size() == length().
    std::u16string apply(const std::u16string& doc) const;
    // The same on `doc` itself: no new string, only the tail after each change moves (a
    // keystroke in a long document costs one memmove, not a copy). Same precondition.
    void apply_in_place(std::u16string& doc) const;
    // This change set as if `other` (on the same document) had happened first. When both insert
    // at one position, `before` puts this set's insertion first. Precondition: same length().
    change_set map(const change_set& other, bool before = false) const;
    // This change set followed by `next`. Precondition: next.length() == new_length().
    change_set compose(const change_set& next) const;
    // Where `pos` ends up; assoc < 0 keeps it before an insertion at pos, > 0 after it.
    std::size_t map_pos(std::size_t pos, int assoc = -1) const;

    bool operator==(const change_set&) const = default;

  private:
    // CodeMirror's representation: pairs (length, inserted length), inserted length -1 for an
    // unchanged section; inserted_[i] holds the text of the i-th pair when it inserts.
    std::vector<std::int64_t> sections_;
    std::vector<std::u16string> inserted_;
};

}  // namespace mockroom::domain
