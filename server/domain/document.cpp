#include "domain/document.hpp"

#include <stdexcept>

#include <algorithm>

namespace mockroom::domain {

std::size_t collab_document::length_at(std::size_t at_version) const {
    // Each logged change records the length of the document it applied to.
    const std::size_t index = at_version - std::min(at_version, first_version_);
    return index < log_.size() ? log_[index].changes.length() : text_.size();
}

void collab_document::trim() {
    if (log_.size() < 2 * kept_updates_) return;
    const std::size_t dropped = log_.size() - kept_updates_;
    log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(dropped));
    first_version_ += dropped;
}

std::variant<push_refused, push_accepted> collab_document::push(
    std::size_t base_version, const std::vector<text_update>& updates) {
    using reason = push_refused::reason;
    if (base_version > version()) {
        return push_refused{reason::version_ahead, "version " + std::to_string(base_version) +
                                                       " is ahead of the server's " +
                                                       std::to_string(version())};
    }
    if (updates.size() > max_updates_per_push_) {
        return push_refused{
            reason::too_many_updates,
            "at most " + std::to_string(max_updates_per_push_) + " updates per push"};
    }
    // A client far behind catches up itself (its collab rebases locally): the room's thread is
    // shared by everyone, so the work one push may cost it is bounded.
    const std::size_t behind = version() - base_version;
    if (base_version < first_version_ || behind * updates.size() > max_rebase_work_) {
        return push_refused{
            reason::too_far_behind,
            std::to_string(behind) + " versions behind: pull the updates, then push again"};
    }
    // The pushed updates form a chain starting at the document as it was at base_version.
    std::size_t expected = length_at(base_version);
    for (std::size_t i = 0; i < updates.size(); ++i) {
        if (updates[i].changes.length() != expected) {
            return push_refused{reason::bad_length,
                                "update " + std::to_string(i) + " applies to a document of " +
                                    std::to_string(updates[i].changes.length()) +
                                    " units, but it has " + std::to_string(expected)};
        }
        expected = updates[i].changes.new_length();
    }

    // `others`: the updates accepted since base_version that are not the pusher's own, as a
    // chain starting where the next pushed update starts. Each pushed update is mapped through
    // the chain link by link, and the chain is moved past it.
    std::vector<change_set> others;
    std::size_t own_accepted = 0;
    auto move_chain_past = [&others](change_set update) -> change_set {
        for (auto& other : others) {
            change_set other_after_update = other.map(update, /*before=*/true);
            update = update.map(other);  // accepted first: its insertions go first
            other = std::move(other_after_update);
        }
        return update;
    };
    for (std::size_t i = base_version - first_version_; i < log_.size(); ++i) {
        const auto& logged = log_[i];
        if (own_accepted < updates.size() && updates[own_accepted].client_id == logged.client_id) {
            // Already accepted (a resend after a lost confirmation): skip it, but move the
            // others past the pusher's original, which the next pushed update builds on.
            move_chain_past(updates[own_accepted].changes);
            ++own_accepted;
        } else {
            others.push_back(logged.changes);
        }
    }

    push_accepted result{version(), {}};
    for (std::size_t i = own_accepted; i < updates.size(); ++i) {
        change_set rebased = move_chain_past(updates[i].changes);
        if (rebased.new_length() > max_length_) {
            return push_refused{reason::too_large, "the document would exceed " +
                                                       std::to_string(max_length_) + " units"};
        }
        result.accepted.push_back({updates[i].client_id, std::move(rebased)});
    }
    // Accepted as a whole: only now does the text change (in place: no copy per push).
    for (const auto& update : result.accepted) update.changes.apply_in_place(text_);
    log_.insert(log_.end(), result.accepted.begin(), result.accepted.end());
    trim();
    return result;
}

void collab_document::replay(const std::vector<text_update>& accepted) {
    // Check the whole chain first, so a mismatch changes nothing; then apply in place.
    std::size_t length = text_.size();
    for (const auto& update : accepted) {
        if (update.changes.length() != length) {
            throw std::invalid_argument("a stored update does not fit the document");
        }
        length = update.changes.new_length();
    }
    for (const auto& update : accepted) update.changes.apply_in_place(text_);
    log_.insert(log_.end(), accepted.begin(), accepted.end());
    trim();
}

void collab_document::restore(std::size_t first_version, std::u16string text,
                              std::vector<text_update> kept) {
    for (std::size_t i = 0; i < kept.size(); ++i) {
        const std::size_t next = i + 1 < kept.size() ? kept[i + 1].changes.length() : text.size();
        if (kept[i].changes.new_length() != next) {
            throw std::invalid_argument("a snapshot's kept updates do not lead to its text");
        }
    }
    if (text.size() > max_length_) throw std::invalid_argument("a snapshot's text is too long");
    text_ = std::move(text);
    log_ = std::move(kept);
    first_version_ = first_version;
    trim();
}

std::vector<text_update> collab_document::updates_since(std::size_t from) const {
    const std::size_t index = std::min(from - std::min(from, first_version_), log_.size());
    return {log_.begin() + static_cast<std::ptrdiff_t>(index), log_.end()};
}

std::size_t collab_document::map_to_head(std::size_t pos, std::size_t at_version, int assoc) const {
    if (!knows_version(at_version)) return std::min(pos, text_.size());
    pos = std::min(pos, length_at(at_version));
    for (std::size_t i = at_version - first_version_; i < log_.size(); ++i)
        pos = log_[i].changes.map_pos(pos, assoc);
    return pos;
}

}  // namespace mockroom::domain
