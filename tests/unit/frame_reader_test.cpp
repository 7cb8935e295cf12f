#include "ximss/frame_reader.hpp"

#include <gtest/gtest.h>

using ximssd::ximss::FrameReader;

TEST(FrameReader, SplitsFramesAtZeroBytes) {
  FrameReader r(1024);
  r.feed(std::string("<a id=\"1\"/>\0<b id=\"2\"/>\0<c", 26));
  auto e1 = r.next();
  ASSERT_TRUE(e1);
  EXPECT_EQ(e1->kind, FrameReader::Kind::frame);
  EXPECT_EQ(e1->text, "<a id=\"1\"/>");
  auto e2 = r.next();
  ASSERT_TRUE(e2);
  EXPECT_EQ(e2->text, "<b id=\"2\"/>");
  EXPECT_FALSE(r.next());
  EXPECT_TRUE(r.partial());
  r.feed(std::string("/>\0", 3));
  auto e3 = r.next();
  ASSERT_TRUE(e3);
  EXPECT_EQ(e3->text, "<c/>");
  EXPECT_FALSE(r.partial());
}

TEST(FrameReader, SkipsWhitespaceBetweenMessages) {
  FrameReader r(1024);
  r.feed(std::string("\r\n\0  <a/>\0", 10));
  auto e = r.next();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->text, "  <a/>");
  EXPECT_FALSE(r.next());
}

TEST(FrameReader, ReportsOversizedFrameOnceAndResynchronises) {
  FrameReader r(16);
  r.feed("<noop id=\"big\" x=\"");
  auto e = r.next();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, FrameReader::Kind::oversized);
  EXPECT_NE(e->text.find("id=\"big\""), std::string_view::npos);
  r.feed(std::string(10000, 'a'));
  EXPECT_FALSE(r.next());
  EXPECT_LE(r.buffered(), 16u);  // skipped bytes are not kept
  r.feed(std::string("\"/>\0<ok/>\0", 10));
  auto ok = r.next();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->kind, FrameReader::Kind::frame);
  EXPECT_EQ(ok->text, "<ok/>");
}

TEST(FrameReader, OversizedFrameArrivingWhole) {
  FrameReader r(8);
  r.feed(std::string("<a id=\"x\" b=\"cccccccc\"/>\0<d/>\0", 30));
  auto e = r.next();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, FrameReader::Kind::oversized);
  auto d = r.next();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->text, "<d/>");
}

TEST(FrameReader, ReleasesMemoryWhenIdle) {
  FrameReader r(1 << 20);
  r.feed(std::string(50000, ' ') + std::string("<a/>\0", 5));
  ASSERT_TRUE(r.next());
  r.release_if_idle();
  EXPECT_EQ(r.buffered(), 0u);
  EXPECT_FALSE(r.partial());
}
