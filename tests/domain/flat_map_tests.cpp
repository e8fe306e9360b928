// domain::flat_map against std::map as the model: the same operations, the same contents.
#include "domain/flat_map.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using mockroom::domain::flat_map;

template <class Key, class Value>
std::vector<std::pair<Key, Value>> contents(const flat_map<Key, Value>& map) {
    return {map.begin(), map.end()};
}
template <class Key, class Value>
std::vector<std::pair<Key, Value>> contents(const std::map<Key, Value>& map) {
    return {map.begin(), map.end()};
}

}  // namespace

TEST_CASE("flat map: lookups, insertion in key order, erasure") {
    flat_map<std::uint64_t, std::string> map;
    CHECK(map.empty());
    CHECK(map.find(7) == map.end());
    CHECK_FALSE(map.contains(7));
    CHECK_THROWS_AS(map.at(7), std::out_of_range);

    map[30] = "thirty";
    map[10] = "ten";
    map[20];  // value-initialized
    REQUIRE(map.size() == 3);
    CHECK(contents(map) == std::vector<std::pair<std::uint64_t, std::string>>{
                               {10, "ten"}, {20, ""}, {30, "thirty"}});
    CHECK(map.at(30) == "thirty");
    CHECK(map.contains(20));
    CHECK(map.find(25) == map.end());  // between two keys
    CHECK(map.find(40) == map.end());  // past the last

    map[10] = "TEN";  // an existing key is not inserted again
    CHECK(map.size() == 3);
    CHECK(map.at(10) == "TEN");

    CHECK(map.erase(25) == 0);
    CHECK(map.erase(20) == 1);
    CHECK(map.erase(20) == 0);
    CHECK(contents(map) ==
          std::vector<std::pair<std::uint64_t, std::string>>{{10, "TEN"}, {30, "thirty"}});

    map[20] = "twenty";
    auto next = map.erase(map.find(20));  // from the middle: the next one follows
    REQUIRE(next != map.end());
    CHECK(next->first == 30);
    next = map.erase(map.find(10));
    REQUIRE(next != map.end());
    CHECK(next->first == 30);

    map[1] = "one";
    map[2] = "two";
    map[3] = "three";
    CHECK(erase_if(map, [](const auto& entry) { return entry.first % 2 == 1; }) == 2);
    CHECK(contents(map) ==
          std::vector<std::pair<std::uint64_t, std::string>>{{2, "two"}, {30, "thirty"}});

    const auto& read_only = map;
    CHECK(read_only.at(2) == "two");
    CHECK(read_only.find(2)->second == "two");
    CHECK(read_only.find(30)->second == "thirty");  // not the first entry
    CHECK(read_only.find(31) == read_only.end());
    CHECK_THROWS_AS(read_only.at(3), std::out_of_range);
    map.clear();
    CHECK(map.empty());
}

TEST_CASE("flat map: random operations leave it equal to std::map") {
    std::mt19937 random(20261124);
    for (int trial = 0; trial < 50; ++trial) {
        flat_map<int, int> map;
        std::map<int, int> model;
        for (int step = 0; step < 400; ++step) {
            const int key = static_cast<int>(random() % 40);
            switch (random() % 5) {
                case 0:
                case 1:
                    map[key] += step;
                    model[key] += step;
                    break;
                case 2:
                    CHECK(map.erase(key) == model.erase(key));
                    break;
                case 3: {
                    const int limit = static_cast<int>(random() % 40);
                    const auto erased =
                        erase_if(map, [&](const auto& entry) { return entry.first > limit; });
                    const auto expected = std::erase_if(
                        model, [&](const auto& entry) { return entry.first > limit; });
                    CHECK(erased == expected);
                    break;
                }
                default:
                    CHECK(map.contains(key) == model.contains(key));
                    if (model.contains(key)) CHECK(map.at(key) == model.at(key));
                    break;
            }
            REQUIRE(map.size() == model.size());
        }
        CHECK(contents(map) == contents(model));
    }
}
