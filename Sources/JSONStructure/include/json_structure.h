#ifndef JSON_STRUCTURE_H
#define JSON_STRUCTURE_H

#include <stddef.h>
#include <stdint.h>

/// Why `json_skip_container` stopped before the end of a value.
typedef enum {
    json_skip_ok = 0,
    /// The input ends inside a string.
    json_skip_unterminated_string,
    /// The input ends inside the container.
    json_skip_unterminated_value,
    /// A raw control character (below 0x20) inside a string.
    json_skip_control_character,
    /// A closing bracket of the wrong kind, or one with nothing open.
    json_skip_mismatched_bracket,
    /// More than `max_depth` brackets open.
    json_skip_too_deep,
    /// A line feed outside a string while line feeds end values (NDJSON).
    json_skip_line_ends_value,
    /// A backslash outside a string.
    json_skip_stray_backslash,
} json_skip_problem;

typedef struct {
    /// One past the closing bracket, or where the problem is.
    size_t position;
    json_skip_problem problem;
} json_skip_result;

/// Passes over the object or array whose opening bracket is at `bytes[start]`, by its structure alone: brackets
/// balanced and matched (at most `max_depth` deep, at most 64), strings closed, no raw control character in them
/// (escaped or not), and — when `newline_ends_value` — no line feed. Reads 64 bytes at a time; never reads at or past
/// `end`.
json_skip_result json_skip_container(
    const uint8_t *bytes, size_t start, size_t end, int newline_ends_value, int max_depth);

/// Where the run of plain string bytes starting at `start` ends: the index of the first quote, backslash, control
/// character (below 0x20) or non-ASCII byte at or after `start`, or `end`. Reads 64 bytes at a time (AVX-512BW,
/// AVX2), 16 (SSE2, NEON) or 8; never reads at or past `end`.
size_t json_plain_run_end(const uint8_t *bytes, size_t start, size_t end);

/// The fastest way this processor has to run `json_skip_container`: 0 the baseline (SSE2 on x86-64, NEON on ARM, or
/// portable C), 1 AVX2, 2 AVX-512BW. Every level gives the same results.
int json_structure_best_level(void);

/// `json_skip_container` with the instructions of `level` (at most `json_structure_best_level()`), for tests.
json_skip_result json_skip_container_at_level(
    const uint8_t *bytes, size_t start, size_t end, int newline_ends_value, int max_depth, int level);

/// `json_plain_run_end` with the instructions of `level`, for tests.
size_t json_plain_run_end_at_level(const uint8_t *bytes, size_t start, size_t end, int level);

#endif
