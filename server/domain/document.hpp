// A collaboratively edited document with the server as the central authority, in the model
// of @codemirror/collab: the text, and the ordered log of accepted updates (version = number
// of updates). Pure: no JSON, no sockets.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/change_set.hpp"

namespace mockroom::domain {

struct text_update {
    std::string client_id;  // CodeMirror's clientID: the pushing tab's client id
    change_set changes;
    bool operator==(const text_update&) const = default;
};

struct push_refused {
    enum class reason {
        version_ahead,
        too_far_behind,
        bad_length,
        too_many_updates,
        too_large
    } why;
    std::string message;
};

struct push_accepted {
    std::size_t from = 0;               // version before the first accepted update
    std::vector<text_update> accepted;  // rebased; empty when all were accepted before
};

class collab_document {
  public:
    collab_document(std::size_t max_length, std::size_t max_updates_per_push,
                    std::size_t max_rebase_work = 20'000,
                    std::size_t kept_updates = std::size_t{1} << 40)
        : max_length_(max_length),
          max_updates_per_push_(max_updates_per_push),
          max_rebase_work_(max_rebase_work),
          kept_updates_(kept_updates) {}

    std::size_t version() const { return first_version_ + log_.size(); }
    const std::u16string& text() const { return text_; }
    // The accepted updates kept: versions first_version() .. version() - 1. Older ones are
    // dropped once the log holds twice `kept_updates` (bounded memory and snapshots).
    const std::vector<text_update>& log() const { return log_; }
    std::size_t first_version() const { return first_version_; }
    // Whether updates from `v` to the head are kept (so v can be served, rebased, mapped).
    bool knows_version(std::size_t v) const { return v >= first_version_ && v <= version(); }

    // Updates based on `base_version` (<= version()). They are rebased over the updates accepted
    // since then one update at a time (never composed first: composing changes where
    // insertions at one position land), skipping the pusher's own already-accepted prefix by
    // client id, so a resend after a lost confirmation is never applied twice. All or nothing.
    std::variant<push_refused, push_accepted> push(std::size_t base_version,
                                                   const std::vector<text_update>& updates);

    // Appends updates accepted before (replaying a stored log). They must fit the head: a
    // mismatch throws std::invalid_argument and changes nothing.
    void replay(const std::vector<text_update>& accepted);
    // Replaces everything with a snapshot: the head text, and the kept updates, which lead
    // from version `first_version` to the head. Throws std::invalid_argument (nothing changed)
    // when the updates do not form a chain ending at the text's length.
    void restore(std::size_t first_version, std::u16string text, std::vector<text_update> kept);

    // The accepted updates from `from` (knows_version(from)) to the head.
    std::vector<text_update> updates_since(std::size_t from) const;

    // A position in the document at `at_version`, mapped to the head (for cursors). A version
    // no longer kept maps by clamping to the head's length.
    std::size_t map_to_head(std::size_t pos, std::size_t at_version, int assoc) const;
    // The length at a known version (knows_version(at_version)).
    std::size_t length_at(std::size_t at_version) const;

  private:
    // Drops the older half once the log holds twice kept_updates_. A function of the version
    // alone, so a replayed or restored document keeps exactly what the live one kept.
    void trim();

    std::u16string text_;
    std::vector<text_update> log_;
    std::size_t first_version_ = 0;
    std::size_t max_length_;
    std::size_t max_updates_per_push_;
    std::size_t max_rebase_work_;
    std::size_t kept_updates_;
};

}  // namespace mockroom::domain
