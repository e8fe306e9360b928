// A log-linear latency histogram in the manner of HdrHistogram: every power-of-two range of
// values is split into the same number of linear sub-buckets, so the relative error of any
// reported value is bounded (1/128 < 1% with the default 7 sub-bucket bits) whatever its size,
// while recording stays one array increment. Values below 2 * 128 are kept exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mockroom::load {

class histogram {
  public:
    explicit histogram(unsigned sub_bucket_bits = 7);

    void record(std::uint64_t value, std::uint64_t times = 1);
    void merge(const histogram& other);  // same sub_bucket_bits only
    void clear();

    std::uint64_t count() const { return count_; }
    std::uint64_t max() const { return max_; }                    // exact; 0 when empty
    std::uint64_t min() const { return count_ == 0 ? 0 : min_; }  // exact; 0 when empty
    double mean() const;

    // The value at or below which `percent` (0..100) of the recorded values lie, as the highest
    // value of its bucket (clamped to [min, max]); 0 when empty.
    std::uint64_t percentile(double percent) const;

    // The largest relative error of a reported value: 1 / sub-buckets per power of two.
    double relative_error() const { return 1.0 / static_cast<double>(sub_buckets_); }

  private:
    std::size_t index_of(std::uint64_t value) const;
    std::uint64_t highest_in_bucket(std::size_t index) const;

    unsigned sub_bucket_bits_;
    std::uint64_t sub_buckets_;
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t min_ = UINT64_MAX;
    long double sum_ = 0;
};

}  // namespace mockroom::load
