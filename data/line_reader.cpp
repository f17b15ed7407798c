#include "data/line_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/error.hpp"

namespace recsys {

namespace {

constexpr std::size_t kMinBufferSize = std::size_t{1} << 16;
constexpr std::size_t kMaxBufferSize = std::size_t{1} << 22;

bool is_control_byte(char c) {
  auto byte = static_cast<unsigned char>(c);
  return (byte < 0x20 && c != '\t') || byte == 0x7F;
}

std::string hex_preview(std::string_view bytes) {
  std::string preview;
  for (std::size_t i = 0; i < bytes.size() && i < 8; ++i) {
    preview += fmt::format("{}{:02x}", i == 0 ? "" : " ", static_cast<unsigned char>(bytes[i]));
  }
  return preview + (bytes.size() > 8 ? " ..." : "");
}

}  // namespace

LineReader::LineReader(const DataSource& source, const std::string& name)
    : name_(name), file_(source.describe(name)), reader_(source.open(name)) {
  capacity_ = std::clamp<std::size_t>(source.file_size(name) + 1, kMinBufferSize, kMaxBufferSize);
  buffer_ = std::make_unique_for_overwrite<char[]>(capacity_);
}

// Moves unread bytes to the front of the buffer and reads more; returns false at the end.
bool LineReader::fill() {
  if (begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == capacity_) {  // One line is longer than the buffer.
    auto larger = std::make_unique_for_overwrite<char[]>(capacity_ * 2);
    std::memcpy(larger.get(), buffer_.get(), end_);
    buffer_ = std::move(larger);
    capacity_ *= 2;
  }

  std::size_t count = reader_->read(buffer_.get() + end_, capacity_ - end_);
  hash_.update(std::string_view(buffer_.get() + end_, count));
  end_ += count;
  bytes_read_ += count;
  return count > 0;
}

bool LineReader::next(Line& line) {
  while (true) {
    const char* start = buffer_.get() + begin_;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));

    if (newline != nullptr) {
      std::string_view text(start, static_cast<std::size_t>(newline - start));
      begin_ += text.size() + 1;
      ++line_number_;
      if (!text.empty() && text.back() == '\r') {
        text.remove_suffix(1);
      }
      if (text.empty()) {
        continue;
      }
      line = Line{text, line_number_, true};
      return true;
    }

    if (!at_end_ && fill()) {
      continue;
    }
    at_end_ = true;
    if (bytes_read_ == 0) {
      throw InputError(file_, 0, "the file is empty; the release is incomplete, download it again");
    }
    if (begin_ == end_) {
      if (sha256_.empty()) {
        sha256_ = hash_.hex_digest();
      }
      return false;
    }

    // The last line has no newline: accept it when it contains text, so that the parser can
    // check its fields, and reject binary leftovers such as NUL padding.
    std::string_view text(buffer_.get() + begin_, end_ - begin_);
    begin_ = end_;
    ++line_number_;
    for (std::size_t i = 0; i < text.size(); ++i) {
      bool final_carriage_return = text[i] == '\r' && i + 1 == text.size();
      if (is_control_byte(text[i]) && !final_carriage_return) {
        throw InputError(file_, line_number_,
                         "stray bytes at the end of the file (" + hex_preview(text) +
                             "): the file is damaged or was written incompletely; download the "
                             "release again or remove the bytes after the last line");
      }
    }
    if (text.back() == '\r') {
      text.remove_suffix(1);
    }
    if (text.empty()) {
      continue;
    }
    line = Line{text, line_number_, false};
    return true;
  }
}

}  // namespace recsys
