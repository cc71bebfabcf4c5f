#include "daemon/store/pg_secrets.h"

#include <gtest/gtest.h>

#include "daemon/store/test_database.h"

namespace sparkd::store {
namespace {

class LinkKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = TestDatabase::Create();
    pool_ = db_->NewPool(4);
  }

  std::vector<std::string> StoredSecrets() {
    auto conn = pool_->Acquire();
    EXPECT_TRUE(conn.ok());
    auto rows = (*conn)->Exec("SELECT secret FROM link_signing_keys ORDER BY id");
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    for (int i = 0; rows.ok() && i < rows->rows(); ++i) out.emplace_back(rows->Get(i, 0));
    return out;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgPool> pool_;
};

TEST_F(LinkKeyStoreTest, TheFirstKeyIsCreatedOnceAndRotationAddsTheNewest) {
  PgLinkKeyStore store(pool_.get(), nullptr);
  auto first = store.ActiveKeys();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].secret.size(), 64u);  // 32 random bytes, hex
  auto again = store.ActiveKeys();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].secret, (*first)[0].secret);

  auto rotated = store.Rotate(std::nullopt);
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  ASSERT_EQ(rotated->size(), 2u);
  EXPECT_GT((*rotated)[0].id, (*rotated)[1].id);  // newest first
  EXPECT_FALSE((*rotated)[1].retired_at);
  auto active = store.ActiveKeys();
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->size(), 2u);
  EXPECT_NE(active->back().secret, active->front().secret);
}

TEST_F(LinkKeyStoreTest, RetiringOlderKeysKeepsTheNewOneAndOnlyIt) {
  PgLinkKeyStore store(pool_.get(), nullptr);
  ASSERT_TRUE(store.ActiveKeys().ok());
  ASSERT_TRUE(store.Rotate(std::nullopt).ok());
  // A day: nothing is that old.
  auto kept = store.Rotate(std::chrono::hours(24));
  ASSERT_TRUE(kept.ok());
  for (const auto& key : *kept) EXPECT_FALSE(key.retired_at) << key.id;
  auto retired = store.Rotate(std::chrono::seconds(0));
  ASSERT_TRUE(retired.ok());
  ASSERT_EQ(retired->size(), 4u);
  EXPECT_FALSE((*retired)[0].retired_at);
  for (size_t i = 1; i < retired->size(); ++i) EXPECT_TRUE((*retired)[i].retired_at) << i;
  auto active = store.ActiveKeys();
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ(active->front().id, (*retired)[0].id);
}

TEST_F(LinkKeyStoreTest, WithAnEncryptionKeyTheDatabaseHoldsNoKeyInTheClear) {
  PgLinkKeyStore plain(pool_.get(), nullptr);
  auto before = plain.ActiveKeys();  // a key stored before encryption was configured
  ASSERT_TRUE(before.ok());
  KeyCipher cipher("correct horse battery staple");
  PgLinkKeyStore sealed(pool_.get(), &cipher);
  auto keys = sealed.ActiveKeys();
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->front().secret, before->front().secret);  // the same key, now sealed
  ASSERT_TRUE(sealed.Rotate(std::nullopt).ok());
  for (const auto& stored : StoredSecrets()) {
    EXPECT_TRUE(KeyCipher::IsSealed(stored)) << stored;
    EXPECT_EQ(stored.find(before->front().secret), std::string::npos);
  }
  auto reopened = sealed.ActiveKeys();
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened->size(), 2u);
  EXPECT_EQ(reopened->front().secret, before->front().secret);

  auto without = plain.ActiveKeys();
  EXPECT_EQ(without.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(without.status().message().find("set link-key-encryption-key"), std::string::npos)
      << without.status().message();
  KeyCipher wrong("another passphrase");
  auto wrong_key = PgLinkKeyStore(pool_.get(), &wrong).ActiveKeys();
  EXPECT_EQ(wrong_key.status().code(), StatusCode::kFailedPrecondition);
}

TEST(KeyCipherTest, SealedKeysOpenOnlyUnderTheirPassphraseAndUnaltered) {
  KeyCipher cipher("passphrase");
  auto sealed = cipher.Seal("the key");
  ASSERT_TRUE(sealed.ok());
  EXPECT_NE(*sealed, cipher.Seal("the key").value());  // a fresh nonce each time
  auto opened = cipher.Open(*sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "the key");
  std::string altered = *sealed;
  altered.back() = altered.back() == '0' ? '1' : '0';
  EXPECT_FALSE(cipher.Open(altered).ok());
  EXPECT_FALSE(KeyCipher("other").Open(*sealed).ok());
  EXPECT_FALSE(cipher.Open("aes256gcm:zz:zz").ok());
}

}  // namespace
}  // namespace sparkd::store
