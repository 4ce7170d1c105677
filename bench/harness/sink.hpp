/**
 * @file bench/harness/sink.hpp
 * @brief The dataset file a sweep appends to: one row per write, resumable after any
 *        interruption without losing or duplicating a row.
 *
 * On open: a missing or empty file gets the provenance header. An existing file is read:
 * a last line without its newline (the process died mid-write) is cut off, the column
 * header must be the writer's, and the key of every row (all the columns that say what
 * was measured: kind .. activation, with pass, dtype and device) goes into a set, so the
 * sweep skips what is done. Each new row is formatted first and handed to the kernel with
 * one write(2) on an O_APPEND descriptor: once `append` returns, the row survives a crash
 * of the process.
 */
#pragma once

#include <fcntl.h>     // open, O_*
#include <sys/stat.h>  // stat
#include <unistd.h>    // write, close, ftruncate, fsync

#include <algorithm>      // find
#include <cerrno>         // errno
#include <cstring>        // strerror
#include <fstream>        // ifstream
#include <map>            // map
#include <sstream>        // ostringstream, stringstream
#include <stdexcept>      // runtime_error
#include <string>         // string
#include <unordered_set>  // unordered_set
#include <vector>         // vector

#include <perfcast/runtime/dataset.hpp>  // dataset_columns, write_dataset_header, write_sample, detail::split_csv

namespace perfcast::harness {

/** @brief Number of leading schema columns that identify a row (kind .. activation). */
inline constexpr std::size_t key_column_count = [] {
    std::size_t i = 0;
    while (dataset_columns[i] != "time_us") ++i;
    return i;
}();

/** @brief A row's identity from its cells in the writer's column order. */
inline std::string key_from_cells(const std::vector<std::string>& cells) {
    std::string key;
    for (std::size_t i = 0; i < key_column_count && i < cells.size(); ++i) {
        key += cells[i];
        key += '\x1f';
    }
    return key;
}

/** @brief One sample as a CSV line (with its newline), in the writer's column order. */
inline std::string format_row(const Sample& s) {
    std::ostringstream os;
    write_sample(os, s);
    return os.str();
}

/** @brief The identity of a sample (the same key a resumed run computes from the file). */
inline std::string sample_key(const Sample& s) {
    std::string line = format_row(s);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return key_from_cells(detail::split_csv(line));
}

class DatasetSink {
public:
    struct OpenInfo {
        bool created = false;           ///< the file was new (or had no header) and got one
        std::size_t existing_rows = 0;  ///< rows found in the file
        std::size_t truncated_bytes = 0;  ///< bytes of a partial last line that were cut off
        std::size_t resumes = 0;        ///< "# resumed_N" notes already in the file
    };

    /** @brief Opens (creating or resuming) `path`; `provenance` is written only to a new file. */
    DatasetSink(std::string path, const std::map<std::string, std::string>& provenance) : m_path(std::move(path)) {
        std::string text;
        {
            std::ifstream in(m_path, std::ios::binary);
            if (in) {
                std::stringstream ss;
                ss << in.rdbuf();
                text = ss.str();
            }
        }
        // a partial last line: cut it off
        if (!text.empty() && text.back() != '\n') {
            const auto nl = text.rfind('\n');
            const std::size_t keep = nl == std::string::npos ? 0 : nl + 1;
            m_info.truncated_bytes = text.size() - keep;
            text.resize(keep);
            if (::truncate(m_path.c_str(), static_cast<off_t>(keep)) != 0)
                throw std::runtime_error(m_path + ": cannot truncate a partial last line: " + std::strerror(errno));
        }
        bool header = false;
        std::size_t line_no = 0;
        std::istringstream lines(text);
        std::string line;
        while (std::getline(lines, line)) {
            ++line_no;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty()) continue;
            if (line[0] == '#') {
                if (line.rfind("# resumed_", 0) == 0) ++m_info.resumes;
                continue;
            }
            std::vector<std::string> cells = detail::split_csv(line);
            if (!header) {
                bool same = cells.size() == dataset_columns.size();
                for (std::size_t i = 0; same && i < cells.size(); ++i) same = cells[i] == dataset_columns[i];
                if (!same)
                    throw std::runtime_error(m_path + ":" + std::to_string(line_no) +
                                             ": the columns differ from this harness' (write to a new --out file)");
                header = true;
                continue;
            }
            if (cells.size() != dataset_columns.size())
                throw std::runtime_error(m_path + ":" + std::to_string(line_no) + ": expected " +
                                         std::to_string(dataset_columns.size()) + " cells, got " +
                                         std::to_string(cells.size()) + " (a damaged row inside the file)");
            m_done.insert(key_from_cells(cells));
            ++m_info.existing_rows;
        }
        if (!header) {  // new, empty, or cut before its column line: start it afresh
            std::ostringstream os;
            write_dataset_header(os, provenance);
            m_fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
            if (m_fd < 0) throw std::runtime_error(m_path + ": cannot create: " + std::strerror(errno));
            put(os.str());
            m_info.created = true;
        } else {
            m_fd = ::open(m_path.c_str(), O_WRONLY | O_APPEND);
            if (m_fd < 0) throw std::runtime_error(m_path + ": cannot open for appending: " + std::strerror(errno));
        }
    }
    DatasetSink(const DatasetSink&) = delete;
    DatasetSink& operator=(const DatasetSink&) = delete;
    ~DatasetSink() {
        if (m_fd >= 0) ::close(m_fd);
    }

    const OpenInfo& info() const noexcept { return m_info; }
    const std::string& path() const noexcept { return m_path; }
    bool done(const std::string& key) const { return m_done.count(key) != 0; }
    std::size_t rows() const noexcept { return m_done.size(); }

    /** @brief Appends one row (one write); a row whose key is already there is dropped. */
    bool append(const Sample& s) {
        const std::string line = format_row(s);
        std::string body = line.substr(0, line.size() - 1);
        if (!m_done.insert(key_from_cells(detail::split_csv(body))).second) return false;
        put(line);
        return true;
    }

    /** @brief Appends a "# key: value" provenance line (value made single-line). */
    void note(const std::string& key, std::string value) {
        for (char& c : value)
            if (c == '\n' || c == '\r') c = ' ';
        put("# " + key + ": " + value + "\n");
    }

    /** @brief Asks the kernel to put the file on disk (survives power loss, not only a crash). */
    void sync() { ::fsync(m_fd); }

private:
    void put(const std::string& s) {
        const char* p = s.data();
        std::size_t left = s.size();
        while (left > 0) {
            const ssize_t n = ::write(m_fd, p, left);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw std::runtime_error(m_path + ": write failed: " + std::strerror(errno));
            }
            p += n;
            left -= static_cast<std::size_t>(n);
        }
    }

    std::string m_path;
    int m_fd = -1;
    OpenInfo m_info;
    std::unordered_set<std::string> m_done;
};

}  // namespace perfcast::harness
