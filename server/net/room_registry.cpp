#include "net/room_registry.hpp"

#include <chrono>

#include "net/server_clock.hpp"
#include "net/tokens.hpp"
#include "protocol/journal_json.hpp"
#include "store/event_store.hpp"

namespace mockroom::net {

room_registry::room_registry(std::vector<std::shared_ptr<const domain::bank>> banks,
                             executor_for_room pick_executor, const limits& bounds,
                             store::event_store* store)
    : banks_(std::move(banks)),
      pick_executor_(std::move(pick_executor)),
      bounds_(bounds),
      store_(store) {}

std::size_t room_registry::load_stored_rooms() {
    if (store_ == nullptr) return 0;
    std::size_t loaded = 0;
    for (auto& stored : store_->load_all()) {
        const auto& record = stored.room;
        try {
            auto host = std::make_shared<room_host>(
                pick_executor_(record.id), restore_stored_room(stored, banks_, bounds_),
                role_tokens{record.interviewer_hash, record.candidate_hash, record.observer_hash},
                store_, stored.events.size());
            host->start();
            std::lock_guard lock(mutex_);
            rooms_.emplace(record.id, std::move(host));
        } catch (const std::exception& e) {
            throw std::runtime_error("room " + record.id + ": " + e.what());
        }
        ++loaded;
    }
    return loaded;
}

std::shared_ptr<const domain::bank> room_registry::find_bank(std::string_view id) const {
    for (const auto& b : banks_) {
        if (b->id == id) return b;
    }
    return nullptr;
}

std::variant<registry_error, created_room> room_registry::create(std::string_view bank_id,
                                                                 std::string title,
                                                                 domain::timing_settings timing,
                                                                 const std::string& requester) {
    auto bank = find_bank(bank_id);
    if (!bank) {
        return registry_error{domain::error_code::not_found,
                              "no bank '" + std::string(bank_id) + "'"};
    }
    created_room created;
    created.title = title.empty() ? "Mock interview" : std::move(title);
    created.interviewer_token = random_token(16);
    created.candidate_token = random_token(16);
    created.observer_token = random_token(16);
    role_tokens hashes{hash_token(created.interviewer_token), hash_token(created.candidate_token),
                       hash_token(created.observer_token)};

    const domain::millis now = server_clock::now();
    std::lock_guard lock(mutex_);
    if (creations_by_requester_.size() > 100'000) creations_by_requester_.clear();  // bound memory
    const double per_minute = bounds_.room_creations_per_minute;
    if (!creations_by_requester_[requester].take(now, per_minute / 60, per_minute)) {
        return registry_error{domain::error_code::rate_limited,
                              "too many rooms created from this address; try again in a minute"};
    }
    if (rooms_.size() >= bounds_.max_rooms) {
        return registry_error{
            domain::error_code::rate_limited,
            "the server holds its maximum of " + std::to_string(bounds_.max_rooms) + " rooms"};
    }
    std::string id;
    do {
        id = random_token(9);  // 72 bits: 12 URL-safe characters
    } while (rooms_.contains(id));
    if (store_ != nullptr) {
        // The links are handed out only once the room is durable. (Under the lock: creation is
        // rare and rate-limited, and ids stay unique.)
        store::room_record record{id,
                                  created.title,
                                  bank->id,
                                  now,
                                  protocol::settings_to_json(timing),
                                  hashes.interviewer,
                                  hashes.candidate,
                                  hashes.observer};
        try {
            store_->create_room(record);
        } catch (const std::exception& e) {
            return registry_error{domain::error_code::internal,
                                  std::string("the room could not be stored: ") + e.what()};
        }
    }
    domain::room_info info{id, created.title, bank, now, std::move(timing)};
    created.host = std::make_shared<room_host>(
        pick_executor_(id), domain::room(std::move(info), bounds_), hashes, store_);
    rooms_.emplace(id, created.host);
    return created;
}

std::shared_ptr<room_host> room_registry::find(std::string_view room_id) const {
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(room_id);
    return it == rooms_.end() ? nullptr : it->second;
}

std::size_t room_registry::room_count() const {
    std::lock_guard lock(mutex_);
    return rooms_.size();
}

}  // namespace mockroom::net
