// SHA-256 against the test vectors of FIPS 180-2 (appendix B) and the NIST
// example values, whole and fed in pieces of every size.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "plugin_host/sha256.h"

namespace insource {
namespace {

const char kAbc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const char kTwoBlocks[] = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
const char kMillionA[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
const char kEmpty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kTwoBlockMessage = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

TEST(Sha256, Fips180OneBlockMessage) { EXPECT_EQ(sha256_hex("abc"), kAbc); }

TEST(Sha256, Fips180MultiBlockMessage) { EXPECT_EQ(sha256_hex(kTwoBlockMessage), kTwoBlocks); }

TEST(Sha256, Fips180LongMessage) {
  // One million 'a', fed in uneven pieces.
  Sha256 h;
  std::string chunk(997, 'a');
  size_t left = 1000000;
  while (left > 0) {
    size_t n = std::min(left, chunk.size());
    h.update(chunk.data(), n);
    left -= n;
  }
  EXPECT_EQ(to_hex(h.finish()), kMillionA);
}

TEST(Sha256, EmptyAndPaddingBoundaries) {
  EXPECT_EQ(sha256_hex(""), kEmpty);
  // NIST example: the 896-bit message (two blocks after padding).
  EXPECT_EQ(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  // 55, 56, 63 and 64 bytes: the lengths where the padding needs one or two blocks.
  EXPECT_EQ(sha256_hex(std::string(55, 'a')), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(sha256_hex(std::string(56, 'a')), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(sha256_hex(std::string(63, 'a')), "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
  EXPECT_EQ(sha256_hex(std::string(64, 'a')), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(Sha256, AnySplitGivesTheSameDigest) {
  for (size_t split = 0; split <= kTwoBlockMessage.size(); ++split) {
    Sha256 h;
    h.update(kTwoBlockMessage.substr(0, split));
    h.update(kTwoBlockMessage.substr(split));
    EXPECT_EQ(to_hex(h.finish()), kTwoBlocks) << "split at " << split;
  }
  // Byte by byte.
  Sha256 h;
  for (char c : kTwoBlockMessage) h.update(&c, 1);
  EXPECT_EQ(to_hex(h.finish()), kTwoBlocks);
}

TEST(Sha256, FinishResetsForTheNextMessage) {
  Sha256 h;
  h.update("abc");
  EXPECT_EQ(to_hex(h.finish()), kAbc);
  h.update("abc");
  EXPECT_EQ(to_hex(h.finish()), kAbc);
  EXPECT_EQ(to_hex(h.finish()), kEmpty);
}

TEST(Sha256, FilesAndComparison) {
  auto file = std::filesystem::temp_directory_path() / ("insource-sha256-test-" + std::to_string(::getpid()) + ".bin");
  {
    std::ofstream o(file, std::ios::binary);
    std::string a(1000000, 'a');
    o << a;
  }
  EXPECT_EQ(sha256_file_hex(file), kMillionA);
  std::filesystem::remove(file);
  EXPECT_THROW(sha256_file_hex(file), std::runtime_error);

  EXPECT_TRUE(digests_equal(sha256("abc"), sha256("abc")));
  EXPECT_FALSE(digests_equal(sha256("abc"), sha256("abd")));
}

}  // namespace
}  // namespace insource
