#include "sync/row_digest.hpp"

#include <string_view>

#include "core/hash.hpp"

namespace emsync::sync {

namespace {

// Start of every basis, and what a NULL and a left-out value mix in. Stored
// in the state DB (through the digests): never change them, or every
// contact is converted and stored again once.
constexpr std::uint64_t k_basis_seed = 0x656d73796e630002;  // "emsync" v2: row digests
constexpr std::uint64_t k_null_value = 0x4e554c4c4e554c4c;  // "NULLNULL"
constexpr std::uint64_t k_skipped_values = 0x534b495050454421;  // "SKIPPED!"

std::uint64_t mix(std::uint64_t digest, const source::Value& value) {
  return value ? hash64_seeded(*value, digest) : hash_combine(digest, k_null_value);
}

std::uint64_t mix_text(std::uint64_t digest, std::string_view text) {
  return hash64_seeded(text, digest);
}

std::uint64_t mix_number(std::uint64_t digest, std::int64_t number) {
  return hash_combine(digest, static_cast<std::uint64_t>(number));
}

}  // namespace

RowDigester::RowDigester(const std::vector<PlannedField>& plan, std::uint64_t version)
    : m_basis(hash_combine(k_basis_seed, version)) {
  for (const PlannedField& field : plan) {
    m_basis = mix_text(m_basis, field.column);
    m_basis = mix_number(m_basis, static_cast<std::int64_t>(field.column_type));
    m_basis = mix_number(m_basis, field.field_id);
    m_basis = mix_number(m_basis, static_cast<std::int64_t>(field.type));
    m_basis = mix_text(m_basis, field.state_key);
    m_basis = mix_number(m_basis, static_cast<std::int64_t>(field.on_value_too_long));
    m_basis = hash_combine(m_basis, field.choices ? field.choices->fingerprint() : 0);
  }
}

std::uint64_t RowDigester::operator()(std::span<const source::Value> mapped) const {
  std::uint64_t digest = m_basis;
  for (const source::Value& value : mapped) {
    digest = mix(digest, value);
  }
  return digest;
}

std::uint64_t RowDigester::operator()(std::span<const source::Value> row,
                                      std::span<const std::size_t> columns) const {
  std::uint64_t digest = m_basis;
  for (const std::size_t column : columns) {
    digest = mix(digest, row[column]);
  }
  return digest;
}

std::uint64_t digest_with_skipped_values(std::uint64_t digest) {
  return hash_combine(digest, k_skipped_values);
}

}  // namespace emsync::sync
