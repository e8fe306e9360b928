// A map kept as one vector sorted by key, for the few entries a room holds per connection.
//
// Every room pays for its maps whether or not anyone talks (issue 6: at most 2 KB per idle
// connection, rooms included). An empty std::unordered_map is 56 bytes; one with four entries
// adds a bucket array (about 100 bytes) and a node per entry (32 to 48 bytes each). This is 24
// bytes, plus one block holding the entries side by side. With a room's handful of keys, a
// binary search over them is as fast as hashing, and iteration runs in key order.
//
// Unlike std::unordered_map, inserting or erasing invalidates iterators and references to
// other entries. Keys must not be changed through an iterator.
#pragma once

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <utility>
#include <vector>

namespace mockroom::domain {

template <class Key, class Value>
class flat_map {
  public:
    using value_type = std::pair<Key, Value>;
    using iterator = typename std::vector<value_type>::iterator;
    using const_iterator = typename std::vector<value_type>::const_iterator;

    iterator begin() { return entries_.begin(); }
    iterator end() { return entries_.end(); }
    const_iterator begin() const { return entries_.begin(); }
    const_iterator end() const { return entries_.end(); }
    bool empty() const { return entries_.empty(); }
    std::size_t size() const { return entries_.size(); }
    void clear() { entries_.clear(); }

    iterator find(const Key& key) {
        auto at = lower_bound(key);
        return at != entries_.end() && at->first == key ? at : entries_.end();
    }
    const_iterator find(const Key& key) const {
        auto at = lower_bound(key);
        return at != entries_.end() && at->first == key ? at : entries_.end();
    }
    bool contains(const Key& key) const { return find(key) != end(); }

    Value& at(const Key& key) {
        auto it = find(key);
        if (it == end()) throw std::out_of_range("flat_map::at: no such key");
        return it->second;
    }
    const Value& at(const Key& key) const {
        auto it = find(key);
        if (it == end()) throw std::out_of_range("flat_map::at: no such key");
        return it->second;
    }

    // The value of `key`, value-initialized first if it is missing.
    Value& operator[](const Key& key) {
        auto at = lower_bound(key);
        if (at == entries_.end() || at->first != key) at = entries_.emplace(at, key, Value{});
        return at->second;
    }

    iterator erase(const_iterator it) { return entries_.erase(it); }
    // 1 if `key` was there, else 0.
    std::size_t erase(const Key& key) {
        auto it = find(key);
        if (it == end()) return 0;
        entries_.erase(it);
        return 1;
    }
    // Erases the entries for which `pred(entry)` holds; how many were erased. (Found by
    // argument-dependent lookup, as std::erase_if is for the standard containers.)
    template <class Predicate>
    friend std::size_t erase_if(flat_map& map, Predicate pred) {
        return std::erase_if(map.entries_, pred);
    }

  private:
    iterator lower_bound(const Key& key) {
        return std::lower_bound(entries_.begin(), entries_.end(), key, key_less);
    }
    const_iterator lower_bound(const Key& key) const {
        return std::lower_bound(entries_.begin(), entries_.end(), key, key_less);
    }
    static bool key_less(const value_type& entry, const Key& key) { return entry.first < key; }

    std::vector<value_type> entries_;
};

}  // namespace mockroom::domain
