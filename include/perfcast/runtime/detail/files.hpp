/**
 * @file detail/files.hpp
 * @brief Reading input files with a size limit, and writing output files atomically.
 *
 * read_file() refuses a file larger than its limit before reading it, and reads a device or a
 * pipe (/dev/zero) only up to the limit, so no input can make perfcast allocate without bound.
 * write_file() writes a temporary file beside the target and renames it over the target only
 * once every byte is written and flushed: a failed write (a full disk) leaves the old file as it
 * was and removes the temporary. A target that exists and is not a regular file (/dev/stdout,
 * /dev/null) is written in place, as there is nothing to replace.
 */
#pragma once

#include <cerrno>        // errno
#include <cstddef>       // size_t
#include <cstdint>       // uintmax_t
#include <cstdio>        // FILE, fopen, fwrite, fflush, fclose
#include <cstring>       // strerror
#include <filesystem>    // path, status, rename, remove, permissions
#include <fstream>       // ifstream
#include <random>        // random_device: the temporary's name
#include <string>        // string, to_string
#include <string_view>   // string_view
#include <system_error>  // error_code

#include "../../core/error.hpp"  // error, source_location

namespace perfcast::detail {

/** @brief The largest input file perfcast reads (256 MiB): the data sets it reads are a few tens of MB. */
inline constexpr std::size_t max_input_bytes = std::size_t{256} << 20;

/** @brief "256 MiB", "1 KiB", "12 bytes": a size limit for messages. */
inline std::string byte_size_text(std::size_t n) {
    if (n >= (std::size_t{1} << 20) && n % (std::size_t{1} << 20) == 0) return std::to_string(n >> 20) + " MiB";
    if (n >= (std::size_t{1} << 10) && n % (std::size_t{1} << 10) == 0) return std::to_string(n >> 10) + " KiB";
    return std::to_string(n) + " bytes";
}

/**
 * @brief Reads a whole file of at most @p limit bytes; perfcast::error naming it when it cannot be
 * read, is a folder, or is larger than the limit (a device or a pipe is read only up to the limit).
 */
inline std::string read_file(const std::string& path, std::size_t limit = max_input_bytes) {
    const source_location where{path, 0, 0};
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!ec && std::filesystem::is_directory(status)) throw error(where, "", "is a folder, not a file");
    if (!ec && std::filesystem::is_regular_file(status)) {
        const std::uintmax_t size = std::filesystem::file_size(path, ec);
        if (!ec && size > limit)
            throw error(where, "", "file too large: " + std::to_string(size) + " bytes, more than the limit of " +
                                       byte_size_text(limit));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error(where, "", "cannot open file");
    std::string text;
    char buf[1 << 16];
    while (in) {
        in.read(buf, sizeof buf);
        const auto got = static_cast<std::size_t>(in.gcount());
        if (text.size() + got > limit)
            throw error(where, "", "file too large: more than the limit of " + byte_size_text(limit));
        text.append(buf, got);
    }
    if (in.bad()) throw error(where, "", "reading the file failed");
    return text;
}

/** @brief The reason of the last failed C library call, for messages: "No space left on device". */
inline std::string last_system_error(int saved_errno) {
    return saved_errno != 0 ? std::string(std::strerror(saved_errno)) : std::string("unknown error");
}

/**
 * @brief Writes @p text to @p path atomically: into a temporary file beside it, flushed and
 * closed, then renamed over it. On any failure the temporary is removed, the old file (if any)
 * is left as it was, and perfcast::error names the file (and @p field, the option that named it,
 * when given) with the system's reason. A symbolic link is followed: the file it points to is
 * replaced. A target that exists and is not a regular file is written in place.
 */
inline void write_file(const std::string& path, std::string_view text, const std::string& field = "") {
    namespace fs = std::filesystem;
    const source_location where{path, 0, 0};
    if (path.empty()) throw error(field, "empty file name");
    std::error_code ec;
    fs::path target(path);
    if (fs::is_symlink(fs::symlink_status(target, ec))) {
        const fs::path resolved = fs::weakly_canonical(target, ec);
        if (!ec) target = resolved;
    }
    const auto status = fs::status(target, ec);
    const bool exists = !ec && fs::exists(status);
    if (exists && fs::is_directory(status)) throw error(where, field, "is a folder, not a file");
    const auto put = [&](const std::string& file) {
        errno = 0;
        std::FILE* f = std::fopen(file.c_str(), "wb");
        if (f == nullptr) return std::string("cannot open the file for writing: ") + last_system_error(errno);
        errno = 0;
        const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0;
        const int write_errno = errno;
        errno = 0;
        const bool closed = std::fclose(f) == 0;
        if (!written) return "writing the file failed: " + last_system_error(write_errno);
        if (!closed) return "writing the file failed: " + last_system_error(errno);
        return std::string();
    };
    if (exists && !fs::is_regular_file(status)) {  // a device or a pipe: nothing to replace
        if (const std::string failed = put(target.string()); !failed.empty()) throw error(where, field, failed);
        return;
    }
    std::random_device random;
    const fs::path temporary =
        target.parent_path() / ("." + target.filename().string() + ".tmp-" + std::to_string(random()));
    if (const std::string failed = put(temporary.string()); !failed.empty()) {
        fs::remove(temporary, ec);
        throw error(where, field, failed);
    }
    if (exists) fs::permissions(temporary, fs::status(target, ec).permissions(), ec);  // keep the old file's mode
    fs::rename(temporary, target, ec);
    if (ec) {
        const std::string reason = ec.message();
        fs::remove(temporary, ec);
        throw error(where, field, "cannot replace the file: " + reason);
    }
}

}  // namespace perfcast::detail
