#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace mockroom::load {

// Layout: values below 2 * S (S = 2^sub_bucket_bits) map to their own index. Above, a value
// whose highest set bit is b is shifted right by (b - sub_bucket_bits), leaving a sub-bucket
// s in [S, 2S); its index is (shift + 1) * S + (s - S). Every bucket of a power-of-two range is
// 2^shift wide, i.e. at most 1/S of the values it holds.
histogram::histogram(unsigned sub_bucket_bits)
    : sub_bucket_bits_(sub_bucket_bits), sub_buckets_(std::uint64_t{1} << sub_bucket_bits) {
    if (sub_bucket_bits < 1 || sub_bucket_bits > 16)
        throw std::invalid_argument("histogram: sub_bucket_bits must be 1 to 16");
    const std::size_t shifts = 64 - sub_bucket_bits_;  // highest bit 63 -> shift 63 - bits
    counts_.assign(static_cast<std::size_t>((shifts + 1) * sub_buckets_), 0);
}

std::size_t histogram::index_of(std::uint64_t value) const {
    if (value < 2 * sub_buckets_) return static_cast<std::size_t>(value);
    const auto highest_bit = static_cast<unsigned>(std::bit_width(value) - 1);
    const unsigned shift = highest_bit - sub_bucket_bits_;
    const std::uint64_t sub = value >> shift;
    return static_cast<std::size_t>((shift + 1) * sub_buckets_ + (sub - sub_buckets_));
}

std::uint64_t histogram::highest_in_bucket(std::size_t index) const {
    const std::uint64_t i = index;
    if (i < 2 * sub_buckets_) return i;
    const std::uint64_t shift = i / sub_buckets_ - 1;
    const std::uint64_t sub = sub_buckets_ + i % sub_buckets_;
    // (sub + 1) << shift would overflow for the very last bucket.
    return (sub << shift) + ((std::uint64_t{1} << shift) - 1);
}

void histogram::record(std::uint64_t value, std::uint64_t times) {
    if (times == 0) return;
    counts_[index_of(value)] += times;
    count_ += times;
    max_ = std::max(max_, value);
    min_ = std::min(min_, value);
    sum_ += static_cast<long double>(value) * static_cast<long double>(times);
}

void histogram::merge(const histogram& other) {
    if (other.sub_bucket_bits_ != sub_bucket_bits_)
        throw std::invalid_argument("histogram: merging different resolutions");
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
    min_ = std::min(min_, other.min_);
    sum_ += other.sum_;
}

void histogram::clear() {
    std::fill(counts_.begin(), counts_.end(), 0);
    count_ = 0;
    max_ = 0;
    min_ = UINT64_MAX;
    sum_ = 0;
}

double histogram::mean() const {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

std::uint64_t histogram::percentile(double percent) const {
    if (count_ == 0) return 0;
    percent = std::clamp(percent, 0.0, 100.0);
    // The rank of the value asked for, 1-based: p50 of 1..100 is the 50th value.
    auto rank =
        static_cast<std::uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= rank) return std::clamp(highest_in_bucket(i), min(), max_);
    }
    return max_;
}

}  // namespace mockroom::load
